package main

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
)

// storage follows the daily snapshots: it exports each one as an ndjson
// directory, adds the zstd size of every object version not seen before
// (each compressed alone, and all of them as one zstd stream: the floor),
// and backs the directory up with restic when restic is given.
type storage struct {
	dir, restic string
	enc         *zstd.Encoder
	seen        map[[32]byte]bool
	versions    int64 // zstd bytes of the distinct object versions, each alone
	stream      *zstd.Encoder
	streamed    countingWriter // the one-stream floor: every distinct version, in order seen
	exports     []time.Duration
	restics     []time.Duration
}

// countingWriter counts the bytes written to it.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// storageDays makes the first backup's export day 1, then edits 1% of the
// items, backs up and exports, day after day, and returns the storage
// figures after the tenth day: the database against restic and against
// the one-stream floor.
func storageDays(o options, f *fake, cfg, db, restic, dir string) ([]figure, error) {
	st, err := newStorage(dir, restic)
	if err != nil {
		return nil, err
	}
	o.logf("day 1")
	if err := st.day(o.bin, cfg); err != nil {
		return nil, err
	}
	ws := f.srv.Workspace("acme")
	total := 0
	for _, typ := range itemTypes {
		total += len(ws.ItemIDs(typ))
	}
	perDay := max(total/100, 1)
	var fewest, most int64 = -1, 0
	for day := 2; day <= days; day++ {
		o.logf("day %d", day)
		if err := changeItems(ws, day, perDay); err != nil {
			return nil, err
		}
		_, rec, err := backup(o.bin, cfg)
		if err != nil {
			return nil, err
		}
		n := rec.itemsChanged()
		if fewest < 0 || n < fewest {
			fewest = n
		}
		most = max(most, n)
		if err := st.day(o.bin, cfg); err != nil {
			return nil, err
		}
	}
	if err := st.stream.Close(); err != nil {
		return nil, err
	}
	size, disk := fileSize(db), diskUsage(db)
	floor := float64(st.streamed.n)
	fig := []figure{
		{name: fmt.Sprintf("items changed a day, by the snapshot's change summary (min; %d edited)", perDay), value: float64(fewest)},
		{name: "items changed a day, by the snapshot's change summary (max)", value: float64(most)},
		{name: "database MiB after 10 daily snapshots (file size)", value: float64(size) / (1 << 20)},
		{name: "database MiB on disk (allocated blocks: bbolt grows the file by up to 16 MiB ahead, unwritten)", value: float64(disk) / (1 << 20)},
		{name: "zstd size of every distinct object version MiB", value: float64(st.versions) / (1 << 20)},
		{name: "database on disk / distinct versions", value: float64(disk) / float64(st.versions)},
		{name: "one-stream floor MiB (every distinct version in one zstd stream)", value: floor / (1 << 20)},
		{name: "database on disk / one-stream floor (target 3)", value: float64(disk) / floor},
	}
	return append(fig, st.figures(size, disk)...), nil
}

// storageOnly backs a fake of o.items items up and prints the storage
// figures of o.runs rounds of 10 days: the quick way to measure storage.
func storageOnly(o options, restic, dir string) ([]figure, error) {
	var all []figure
	for i := range o.runs {
		o.logf("storage round %d of %d", i+1, o.runs)
		fig, err := storageRound(o, restic, filepath.Join(dir, fmt.Sprint(i)))
		if err != nil {
			return nil, err
		}
		all = append(all, fig...)
	}
	return all, nil
}

func storageRound(o options, restic, dir string) ([]figure, error) {
	f, err := startFake((o.items + 2) / 3)
	if err != nil {
		return nil, err
	}
	defer f.close()
	cfg, db, err := writeConfig(dir, f.url)
	if err != nil {
		return nil, err
	}
	o.logf("first backup of %d items", o.items)
	if _, _, err := backup(o.bin, cfg); err != nil {
		return nil, err
	}
	return storageDays(o, f, cfg, db, restic, dir)
}

// lookRestic returns the path of the restic binary, or an error when it is
// not installed.
func lookRestic() (string, error) { return exec.LookPath("restic") }

func newStorage(dir, restic string) (*storage, error) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithZeroFrames(true))
	if err != nil {
		return nil, err
	}
	st := &storage{dir: dir, restic: restic, enc: enc, seen: map[[32]byte]bool{}}
	if st.stream, err = zstd.NewWriter(&st.streamed); err != nil {
		return nil, err
	}
	if restic != "" {
		if err := os.WriteFile(filepath.Join(dir, "restic-password"), []byte("enspace-bench\n"), 0o600); err != nil {
			return nil, err
		}
		if _, err := st.runRestic("init"); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// day exports the latest snapshot, counts its new object versions and
// backs the export up with restic.
func (st *storage) day(bin, cfg string) error {
	out := filepath.Join(st.dir, "export")
	u, err := measure(bin, "export", "--config", cfg, "--snapshot", "latest", "--quiet", "--output", out)
	if err != nil {
		return err
	}
	st.exports = append(st.exports, u.wall)
	if err := st.count(out); err != nil {
		return err
	}
	if st.restic != "" {
		start := time.Now()
		if _, err := st.runRestic("backup", "--quiet", "--host", "bench", "export"); err != nil {
			return err
		}
		st.restics = append(st.restics, time.Since(start))
	}
	return os.RemoveAll(out)
}

// count adds the compressed size of each ndjson line (one object) of the
// export that no earlier day had.
func (st *storage) count(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".ndjson") {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
		for sc.Scan() {
			h := sha256.Sum256(sc.Bytes())
			if st.seen[h] {
				continue
			}
			st.seen[h] = true
			st.versions += int64(len(st.enc.EncodeAll(sc.Bytes(), nil)))
			if _, err := st.stream.Write(sc.Bytes()); err != nil {
				return err
			}
			if _, err := st.stream.Write([]byte{'\n'}); err != nil {
				return err
			}
		}
		return sc.Err()
	})
}

func (st *storage) runRestic(args ...string) ([]byte, error) {
	cmd := exec.Command(st.restic, args...)
	cmd.Dir = st.dir
	cmd.Env = append(os.Environ(), "RESTIC_REPOSITORY="+filepath.Join(st.dir, "restic-repo"),
		"RESTIC_PASSWORD_FILE="+filepath.Join(st.dir, "restic-password"), "RESTIC_CACHE_DIR="+filepath.Join(st.dir, "restic-cache"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("restic %s: %w\n%s", args[0], err, out)
	}
	return out, nil
}

// figures are the export and restic rows; size and disk are the
// database's file size and the blocks allocated to it.
func (st *storage) figures(size, disk int64) []figure {
	last := st.exports[len(st.exports)-1]
	fig := []figure{{name: "export of a snapshot to an ndjson directory s (day 10)", value: last.Seconds()}}
	if st.restic == "" {
		return append(fig,
			figure{name: "restic repository MiB (same export directory each day)", text: "restic not installed"},
			figure{name: "database on disk / restic repository on disk (target 0.2)", text: "restic not installed"})
	}
	repo := filepath.Join(st.dir, "restic-repo")
	rsize, rdisk := dirSize(repo), dirDiskUsage(repo)
	return append(fig,
		figure{name: "restic repository MiB (same export directory each day)", value: float64(rsize) / (1 << 20)},
		figure{name: "restic repository MiB on disk (allocated blocks)", value: float64(rdisk) / (1 << 20)},
		figure{name: "database file / restic repository", value: float64(size) / float64(rsize)},
		figure{name: "database on disk / restic repository on disk (target 0.2)", value: float64(disk) / float64(rdisk)},
		figure{name: "restic backup of the export directory s (day 10)", value: st.restics[len(st.restics)-1].Seconds()})
}

// dirSize is the total size of the regular files under dir.
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// dirDiskUsage is the disk space allocated to the regular files under dir.
func dirDiskUsage(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n += diskUsage(path)
		}
		return nil
	})
	return n
}

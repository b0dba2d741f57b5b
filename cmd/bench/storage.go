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
// directory, adds the zstd size of every object version not seen before,
// and backs the directory up with restic when restic is given.
type storage struct {
	dir, restic string
	enc         *zstd.Encoder
	seen        map[[32]byte]bool
	versions    int64 // zstd bytes of the distinct object versions
	exports     []time.Duration
	restics     []time.Duration
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

// figures are the export and restic rows; db is the database's size on
// disk.
func (st *storage) figures(db int64) []figure {
	last := st.exports[len(st.exports)-1]
	fig := []figure{{name: "export of a snapshot to an ndjson directory s (day 10)", value: last.Seconds()}}
	if st.restic == "" {
		return append(fig,
			figure{name: "restic repository MiB (same export directory each day)", text: "restic not installed"},
			figure{name: "database / restic repository", text: "restic not installed"})
	}
	repo := filepath.Join(st.dir, "restic-repo")
	size, disk := dirSize(repo), dirDiskUsage(repo)
	return append(fig,
		figure{name: "restic repository MiB (same export directory each day)", value: float64(size) / (1 << 20)},
		figure{name: "restic repository MiB on disk (allocated blocks)", value: float64(disk) / (1 << 20)},
		figure{name: "database / restic repository, on disk", value: float64(db) / float64(disk)},
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

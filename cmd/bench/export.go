package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// exportFigures exports the latest snapshot of cfg to a directory, a
// .tar.gz and a .tar.zst, and times `tar czf` of the exported directory
// on the same machine: the export's target is at most 1.5 times tar's.
// Outputs go under dir with the given tag and are removed afterwards.
func exportFigures(bin, cfg, dir, tag string) ([]figure, error) {
	out := filepath.Join(dir, "export-"+tag)
	if err := os.MkdirAll(out, 0o700); err != nil {
		return nil, err
	}
	defer os.RemoveAll(out)
	run := func(name string) (time.Duration, error) {
		u, err := measure(bin, "export", "--config", cfg, "--snapshot", "latest", "--quiet", "--output", filepath.Join(out, name))
		return u.wall, err
	}
	plain, err := run("plain")
	if err != nil {
		return nil, err
	}
	gz, err := run("x.tar.gz")
	if err != nil {
		return nil, err
	}
	zst, err := run("x.tar.zst")
	if err != nil {
		return nil, err
	}
	start := time.Now()
	tar := exec.Command("tar", "czf", filepath.Join(out, "tar.tar.gz"), "-C", filepath.Join(out, "plain"), ".")
	if b, err := tar.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("tar czf: %w\n%s", err, b)
	}
	tarWall := time.Since(start)
	return []figure{
		{name: "export --snapshot latest to a directory s", value: plain.Seconds()},
		{name: "export --snapshot latest to .tar.gz s", value: gz.Seconds()},
		{name: "export --snapshot latest to .tar.zst s", value: zst.Seconds()},
		{name: "tar czf of the exported directory s (same machine)", value: tarWall.Seconds()},
		{name: "export .tar.gz / tar czf (target 1.5)", value: gz.Seconds() / tarWall.Seconds()},
		{name: ".tar.gz MiB (export)", value: float64(fileSize(filepath.Join(out, "x.tar.gz"))) / (1 << 20)},
		{name: ".tar.gz MiB (tar czf)", value: float64(fileSize(filepath.Join(out, "tar.tar.gz"))) / (1 << 20)},
		{name: ".tar.zst MiB (export)", value: float64(fileSize(filepath.Join(out, "x.tar.zst"))) / (1 << 20)},
	}, nil
}

// exportOnly backs up a fake of o.items items once and prints the medians
// of o.runs rounds of the export figures: the quick way to measure export.
func exportOnly(o options, dir string) ([]figure, error) {
	f, err := startFake((o.items + 2) / 3)
	if err != nil {
		return nil, err
	}
	defer f.close()
	cfg, _, err := writeConfig(dir, f.url)
	if err != nil {
		return nil, err
	}
	o.logf("backup of %d items", o.items)
	if _, _, err := backup(o.bin, cfg); err != nil {
		return nil, err
	}
	var all []figure
	for i := range o.runs {
		o.logf("export round %d of %d", i+1, o.runs)
		fig, err := exportFigures(o.bin, cfg, dir, fmt.Sprint(i))
		if err != nil {
			return nil, err
		}
		all = append(all, fig...)
	}
	return all, nil
}

package app

import (
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/config"
)

// TestReloadKeepsListener: a reload keeps the listener's settings, which
// only a restart changes, and names each one it kept.
func TestReloadKeepsListener(t *testing.T) {
	old := config.Default()
	old.Timezone = "UTC"
	old.ListenHosts = []string{"a.example"}
	s, err := New(Options{Config: old})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Timezone = "UTC"
	cfg.Listen = "unix:/run/enspace-sync/sock"
	cfg.ListenTokenFile = "/etc/enspace-sync/token"
	cfg.ListenHosts = []string{"b.example"}
	cfg.ListenSocket = config.ListenSocket{Mode: "0660", Group: "adm"}
	kept, err := s.Reload(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, k := range kept {
		keys = append(keys, k.Key)
	}
	want := []string{"listen", "listen_token_file", "listen_hosts", "listen_socket"}
	if len(keys) != len(want) {
		t.Fatalf("kept %q, want %q", keys, want)
	}
	for i := range want {
		if keys[i] != want[i] {
			t.Errorf("kept %q, want %q", keys, want)
		}
	}
	got := s.Config()
	if got.Listen != old.Listen || got.ListenTokenFile != "" || got.ListenHosts[0] != "a.example" || got.ListenSocket != (config.ListenSocket{}) {
		t.Errorf("after the reload: listen %q, token file %q, hosts %q, socket %+v; want the old ones",
			got.Listen, got.ListenTokenFile, got.ListenHosts, got.ListenSocket)
	}
}

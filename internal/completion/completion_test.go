package completion

import (
	"bytes"
	"strings"
	"testing"
)

var sample = []Command{
	{Name: "backup", Summary: "back up", Flags: []string{"config", "workspace"}},
	{Name: "config init", Summary: "write a starter", Flags: []string{"workspace"}},
	{Name: "config check", Summary: "check it's valid"},
}

func TestWrite(t *testing.T) {
	for _, shell := range Shells {
		var b bytes.Buffer
		if err := Write(&b, shell, "enspace-sync", sample); err != nil {
			t.Fatalf("%s: %v", shell, err)
		}
		for _, want := range []string{"backup", "init", "check", "workspace"} {
			if !strings.Contains(b.String(), want) {
				t.Errorf("%s script lacks %q", shell, want)
			}
		}
	}
	var b bytes.Buffer
	if err := Write(&b, "tcsh", "enspace-sync", sample); err == nil || b.Len() > 0 {
		t.Errorf("tcsh: %v, %d bytes", err, b.Len())
	}
}

func TestFishQuote(t *testing.T) {
	if got, want := fishQuote(`it's a \ test`), `'it\'s a \\ test'`; got != want {
		t.Errorf("fishQuote = %s, want %s", got, want)
	}
}

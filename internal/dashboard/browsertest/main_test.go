package browsertest

import (
	"os"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/dashboard/dashtest"
)

func TestMain(m *testing.M) { os.Exit(dashtest.Main(m)) }

package daemon

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/user"
	"strconv"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/listenauth"
)

// unixPrefix marks a listen address that is a unix socket's path.
const unixPrefix = "unix:"

// socketPath returns the path of a unix:PATH listen address.
func socketPath(listen string) (string, bool) {
	return strings.CutPrefix(listen, unixPrefix)
}

// listenHost is the host of a listen address, "" for a unix socket or
// an address without one.
func listenHost(listen string) string {
	if _, ok := socketPath(listen); ok {
		return ""
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return "" // every address: the guard accepts the one a request arrives at
	}
	return host
}

// Listen opens the listener at Options.Listen: a TCP address, or a unix
// socket (unix:PATH) with Options.SocketMode and SocketGroup, replacing a
// socket file a previous daemon left behind. Serve serves it.
func (d *Daemon) Listen() (net.Listener, error) {
	addr := d.opts.Listen
	path, unix := socketPath(addr)
	if !unix {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("listen on %s: %w (another daemon running? set listen: off to run without the listener)", addr, err)
		}
		return ln, nil
	}
	// The database lock keeps a second daemon from getting here: a socket
	// at path is a dead daemon's.
	if fi, err := os.Lstat(path); err == nil && fi.Mode().Type() == fs.ModeSocket {
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove the old socket %s: %w", path, err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w (does its directory exist? the unit's RuntimeDirectory=enspace-sync makes /run/enspace-sync)", path, err)
	}
	if err := setSocketAccess(path, d.opts.SocketMode, d.opts.SocketGroup); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// setSocketAccess gives the socket at path its mode (zero means 0600) and
// group.
func setSocketAccess(path string, mode os.FileMode, group string) error {
	if mode == 0 {
		mode = 0o600
	}
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			return fmt.Errorf("listen_socket.group: %w", err)
		}
		gid, err := strconv.Atoi(g.Gid)
		if err != nil {
			return fmt.Errorf("listen_socket.group %s: gid %q is not a number", group, g.Gid)
		}
		if err := os.Lchown(path, -1, gid); err != nil {
			if errors.Is(err, os.ErrPermission) {
				return fmt.Errorf("give the socket %s the group %s: %w (the service's user must belong to it: SupplementaryGroups=%s)", path, group, err, group)
			}
			return fmt.Errorf("give the socket %s the group %s: %w", path, group, err)
		}
	}
	if err := os.Chmod(path, mode); err != nil {
		return fmt.Errorf("set the mode of the socket %s: %w", path, err)
	}
	return nil
}

// ListenerToken returns the listener's token from the file at path: the
// config's listen_token_file when named (which must exist), else the
// default file beside the database, created on first use.
func ListenerToken(path string, named bool) (string, error) {
	if named {
		return listenauth.ReadToken(path)
	}
	return listenauth.LoadOrCreateToken(path)
}

package fakeapi

import (
	"strings"
)

// user is a person. Users are global to the server; a member is a user's
// membership of one workspace. A user never changes once created, so its
// JSON is rendered once.
type user struct {
	id           int64
	email        string
	fname, lname string
	created      int64
	json         []byte
}

type userView struct {
	ID        int64    `json:"id"`
	CreatedAt string   `json:"created_at"`
	Email     string   `json:"email"`
	Meta      userMeta `json:"meta"`
}

type userMeta struct {
	Fname string `json:"fname"`
	Lname string `json:"lname"`
}

// userFor returns the user with this email, creating it (with the given
// names and creation time) when there is none.
func (s *Server) userFor(email, fname, lname string, created int64) *user {
	key := strings.ToLower(email)
	s.usersMu.Lock()
	defer s.usersMu.Unlock()
	if u := s.usersByEmail[key]; u != nil {
		return u
	}
	if fname == "" {
		fname, lname = namesFromEmail(email)
	}
	u := &user{id: s.next(seqUser), email: email, fname: fname, lname: lname, created: created}
	u.json = marshal(userView{ID: u.id, CreatedAt: stamp(created), Email: email, Meta: userMeta{Fname: fname, Lname: lname}})
	s.users[u.id] = u
	s.usersByEmail[key] = u
	return u
}

// userJSON returns the embedded User object of a user id ({} if unknown).
func (s *Server) userJSON(id int64) []byte {
	s.usersMu.RLock()
	defer s.usersMu.RUnlock()
	if u := s.users[id]; u != nil {
		return u.json
	}
	return []byte("{}")
}

// namesFromEmail guesses a first and last name from "ana.lima@...".
func namesFromEmail(email string) (string, string) {
	local, _, _ := strings.Cut(email, "@")
	first, last, _ := strings.Cut(local, ".")
	return capitalize(first), capitalize(last)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

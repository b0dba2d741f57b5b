package s3fault

import (
	"math/rand"
	"strings"
	"sync"
)

// Nth applies f to request number n only (counting from 1).
func Nth(n int64, f Fault) Rule {
	return func(r Request) Fault {
		if r.N == n {
			return f
		}
		return Pass
	}
}

// Every applies f to every k-th request (k, 2k, ...).
func Every(k int64, f Fault) Rule {
	return func(r Request) Fault {
		if k > 0 && r.N%k == 0 {
			return f
		}
		return Pass
	}
}

// Random applies, to each request with probability p, one of faults picked
// at random; the same seed gives the same sequence of choices.
func Random(seed int64, p float64, faults ...Fault) Rule {
	var mu sync.Mutex
	rng := rand.New(rand.NewSource(seed))
	return func(Request) Fault {
		mu.Lock()
		defer mu.Unlock()
		if len(faults) == 0 || rng.Float64() >= p {
			return Pass
		}
		return faults[rng.Intn(len(faults))]
	}
}

// Only applies rule to the requests whose method is one of methods
// (comma-separated, "PUT,POST"), numbering them among themselves: Only("PUT",
// Nth(5, Stall)) stalls the fifth PUT. Other requests pass.
func Only(methods string, rule Rule) Rule {
	want := map[string]bool{}
	for _, m := range strings.Split(methods, ",") {
		want[strings.ToUpper(strings.TrimSpace(m))] = true
	}
	return Where(func(r Request) bool { return want[r.Method] }, rule)
}

// OnPath applies rule to the requests of method whose path contains part,
// numbering them among themselves: OnPath("PUT", "/snapshots/", Nth(3,
// Stall)) stalls the upload of the third object under snapshots/.
func OnPath(method, part string, rule Rule) Rule {
	return Where(func(r Request) bool { return r.Method == method && strings.Contains(r.Path, part) }, rule)
}

// Where applies rule to the requests match accepts, numbering them among
// themselves. Other requests pass.
func Where(match func(Request) bool, rule Rule) Rule {
	var mu sync.Mutex
	var n int64
	return func(r Request) Fault {
		if !match(r) {
			return Pass
		}
		mu.Lock()
		n++
		r.N = n
		mu.Unlock()
		return rule(r)
	}
}

// First combines rules: the first one that picks a fault wins.
func First(rules ...Rule) Rule {
	return func(r Request) Fault {
		for _, rule := range rules {
			if f := rule(r); f != Pass {
				return f
			}
		}
		return Pass
	}
}

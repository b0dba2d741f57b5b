package main

// runBadInput checks that malformed configs and malformed API answers end
// as clear errors, never as panics or stored data.
func runBadInput(o *options) (*table, error) {
	t := &table{title: "bad input: malformed configs and API answers"}
	c, err := checkBadConfigs(o)
	if err != nil {
		return nil, err
	}
	a, err := checkBadAnswers(o)
	if err != nil {
		return nil, err
	}
	for _, n := range append(c.notes, a.notes...) {
		t.note("%s", n)
	}
	t.add("malformed configs (config check)", "%d cases: %d exit 2 naming the key", c.cases, c.cases-c.accepted-c.unnamed-c.panics)
	t.add("malformed answers to the groups list", "%d cases (HTML, cut short, wrong types, 50 MiB, a looping page): %d ended as a partial snapshot naming groups",
		a.cases, a.cases-a.notError)
	t.must("malformed configs accepted", c.accepted)
	t.must("config errors not naming the key", c.unnamed)
	t.must("config errors showing a secret", c.leaked)
	t.must("malformed answers not reported as an error of their kind", a.notError)
	t.must("malformed answers stored as data", a.stored)
	t.must("panics or stack traces", c.panics+a.panics)
	return t, nil
}

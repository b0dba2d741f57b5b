package config

import "testing"

// TestRouteCountSwitchedOff: a count route set to "none" or to an empty
// value loads, and the environment's route table has it switched off.
func TestRouteCountSwitchedOff(t *testing.T) {
	for _, value := range []string{"none", `""`} {
		doc := replace(t, baseConfig, "      items.list: /ws/types/{type}/records\n",
			"      items.list: /ws/types/{type}/records\n      items.count: "+value+"\n")
		c, err := Load(writeTree(t, doc, baseFiles()), Options{LookupEnv: env(baseEnv())})
		if err != nil {
			t.Fatalf("%s: Load: %v", value, err)
		}
		if rt := c.Environments["production"].Routes()["items.count"]; !rt.Off() {
			t.Errorf("%s: items.count = %+v, want switched off", value, rt)
		}
	}
}

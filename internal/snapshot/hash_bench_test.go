package snapshot

import (
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/jsonv"
)

// BenchmarkContentHash hashes one object as restore-db and backup do:
// an item of BenchmarkRestoreDB (internal/app's benchItem and its "rev",
// keys in the API's order), this package's test item, a nested object,
// and the first of them already canonical (hashed as it is).
func BenchmarkContentHash(b *testing.B) {
	restoreItem := []byte(`{"id":51234,"type":"clients","data":{"name":"Cliente 51234 Comércio Ltda","city":"Belo Horizonte",` +
		`"segment":"smb","active":true,"email":"contato51234@example.com"},` +
		`"user":{"id":9,"created_at":"2024-01-10T08:00:00.000000Z","email":"ana@acme.com","meta":{"fname":"Ana","lname":"Lima"}},` +
		`"created_at":"2025-01-15T10:00:00.000000Z","updated_at":"2025-06-01T09:30:00.000000Z","rev":1}`)
	nested := []byte(`{"id":"d_8f3a2c","type":"deals","title":"Renovação contrato 2026 – Acme \"Premium\"","value":{"amount":"125000.00","currency":"BRL"},` +
		`"stage":{"pipeline_id":3,"name":"Negociação","position":4,"probability":0.6,"entered_at":"2026-02-11T14:22:09Z"},` +
		`"contacts":[{"role":"decisor","name":"Ana Lima","phones":["+55 11 91234-5678"],"email":"ana@cliente.com","id":901},` +
		`{"role":"técnico","name":"Carlos Souza","phones":[],"email":null,"id":902}],` +
		`"custom_fields":{"custom_field_10":"Sim","custom_field_2":12,"custom_field_1":"Origem: evento","custom_field_11":null},` +
		`"notes":"Ligar depois do carnaval.\nProposta enviada em 10/02.","archived":false,"created_at":"2025-11-03T09:00:00Z"}`)
	canonical, err := jsonv.Canonical(restoreItem)
	if err != nil {
		b.Fatal(err)
	}
	for _, in := range []struct {
		name string
		raw  []byte
	}{{"restore-item", restoreItem}, {"test-item", item(1234, 5)}, {"nested", nested}, {"canonical", canonical}} {
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in.raw)))
			for b.Loop() {
				if _, err := ContentHash(in.raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package secretbox

import (
	"errors"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	k1 := NewKey("k1")
	old := mustParse(t, k1)
	sealed, err := old.Seal([]byte("s3cret"), "app:app_1:client_secret")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "s3cret") || KeyOf(sealed) != "k1" {
		t.Fatalf("sealed %q", sealed)
	}
	again, _ := old.Seal([]byte("s3cret"), "app:app_1:client_secret")
	if again == sealed {
		t.Error("two seals of one value are equal: the nonce is not fresh")
	}

	// Rotation: a new key first, the old one kept to open old values.
	rotated := mustParse(t, NewKey("k2")+","+k1)
	if got, err := rotated.Open(sealed, "app:app_1:client_secret"); err != nil || string(got) != "s3cret" {
		t.Errorf("open after rotation = %q, %v", got, err)
	}
	resealed, _ := rotated.Seal([]byte("s3cret"), "ctx")
	if KeyOf("not-sealed") != "" {
		t.Errorf("KeyOf of a value that names no key: %q", KeyOf("not-sealed"))
	}
	if KeyOf(resealed) != "k2" {
		t.Errorf("sealed under %s, want the first key k2", KeyOf(resealed))
	}

	for name, tc := range map[string]struct {
		ring    *Keyring
		sealed  string
		context string
	}{
		"other context":  {old, sealed, "app:app_2:client_secret"},
		"unknown key":    {mustParse(t, NewKey("k9")), sealed, "app:app_1:client_secret"},
		"same id, other": {mustParse(t, NewKey("k1")), sealed, "app:app_1:client_secret"},
		"altered":        {old, altered(sealed), "app:app_1:client_secret"},
		"truncated":      {old, "k1.AAAA", "app:app_1:client_secret"},
		"not sealed":     {old, "s3cret", "app:app_1:client_secret"},
		"nil keyring":    {nil, sealed, "app:app_1:client_secret"},
	} {
		if _, err := tc.ring.Open(tc.sealed, tc.context); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: err %v, want ErrOpen", name, err)
		}
	}
}

// altered changes a character near the end of sealed, whatever it is:
// one that carries whole bits of the ciphertext, unlike the last one of
// unpadded base64 may not.
func altered(sealed string) string {
	i := len(sealed) - 4
	c := byte('A')
	if sealed[i] == 'A' {
		c = 'B'
	}
	return sealed[:i] + string(c) + sealed[i+1:]
}

func mustParse(t *testing.T, spec string) *Keyring {
	t.Helper()
	k, err := Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParse(t *testing.T) {
	key := strings.TrimPrefix(NewKey("x"), "x:")
	for _, tc := range []struct {
		spec, err string
		ids       int
	}{
		{"", "", 0},
		{" , ", "", 0},
		{"a:" + key, "", 1},
		{"a:" + key + ", b:" + key, "", 2},
		{"a:" + strings.TrimRight(key, "="), "", 1}, // unpadded
		{"a:" + key + ",a:" + key, "given twice", 0},
		{key, "want id:base64key", 0},
		{"a b:" + key, "want id:base64key", 0},
		{"a:c2hvcnQ=", "is 5 bytes, want 32", 0},
		{"a:!!!", "is not base64", 0},
	} {
		k, err := Parse(tc.spec)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Parse(%q) err %v, want %q", tc.spec, err, tc.err)
			} else if strings.Contains(err.Error(), key) {
				t.Errorf("Parse error repeats the key: %v", err)
			}
		case err != nil:
			t.Errorf("Parse(%q): %v", tc.spec, err)
		case len(k.ids) != tc.ids || k.Configured() != (tc.ids > 0):
			t.Errorf("Parse(%q): %d keys", tc.spec, len(k.ids))
		}
	}
	var empty *Keyring
	if _, err := empty.Seal([]byte("x"), ""); !errors.Is(err, ErrNoKeys) {
		t.Errorf("seal without keys: %v", err)
	}
}

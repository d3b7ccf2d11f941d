// Package secretbox encrypts the secrets the service must be able to read
// back, such as an app's OAuth client secret or a connection profile's
// tokens (DESIGN.md §3), with AES-256-GCM under keys from configuration.
//
// A Keyring holds several keys so that they can be rotated: it seals with
// the first and opens with whichever key a sealed value names. To rotate,
// put a new key first and keep the old ones after it until every value
// has been sealed again (docs/deployment.md).
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the size of a key: AES-256.
const KeySize = 32

// ErrNoKeys is returned by Seal on a keyring without keys: encryption is
// not configured.
var ErrNoKeys = errors.New("secretbox: no encryption key configured")

// ErrOpen is returned when a sealed value cannot be opened: its key is not
// in the keyring, or it was altered, or it was sealed for another context.
var ErrOpen = errors.New("secretbox: cannot open sealed value")

// Keyring is a list of named keys. The zero value has none.
type Keyring struct {
	ids   []string
	aeads map[string]cipher.AEAD
}

// Parse reads a keyring from spec: comma-separated id:key pairs, each key
// 32 bytes in standard or URL-safe base64, the first one sealing. An empty
// spec is an empty keyring.
func Parse(spec string) (*Keyring, error) {
	k := &Keyring{aeads: map[string]cipher.AEAD{}}
	for entry := range strings.SplitSeq(spec, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		id, encoded, ok := strings.Cut(entry, ":")
		if !ok || !validID(id) {
			return nil, fmt.Errorf("secretbox: key %q: want id:base64key, the id of 1-32 letters, digits, '-' or '_'", redact(entry))
		}
		key, err := decodeKey(encoded)
		if err != nil {
			return nil, fmt.Errorf("secretbox: key %s: %w", id, err)
		}
		if _, dup := k.aeads[id]; dup {
			return nil, fmt.Errorf("secretbox: key id %s given twice", id)
		}
		block, _ := aes.NewCipher(key) // 32 bytes: cannot fail
		aead, _ := cipher.NewGCM(block)
		k.ids = append(k.ids, id)
		k.aeads[id] = aead
	}
	return k, nil
}

// NewKey returns a random key in the form Parse reads, for id.
func NewKey(id string) string {
	key := make([]byte, KeySize)
	rand.Read(key)
	return id + ":" + base64.StdEncoding.EncodeToString(key)
}

// Configured reports whether the keyring can seal.
func (k *Keyring) Configured() bool { return k != nil && len(k.ids) > 0 }

// SealingKey is the id of the key Seal uses, "" without keys.
func (k *Keyring) SealingKey() string {
	if !k.Configured() {
		return ""
	}
	return k.ids[0]
}

// Seal encrypts plaintext under the first key, bound to context: a value
// sealed for one context (say the client secret of one app) does not open
// for another, so ciphertexts cannot be moved between rows. The result is
// "id.base64url(nonce|ciphertext)".
func (k *Keyring) Seal(plaintext []byte, context string) (string, error) {
	if !k.Configured() {
		return "", ErrNoKeys
	}
	id := k.ids[0]
	aead := k.aeads[id]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	rand.Read(nonce)
	sealed := aead.Seal(nonce, nonce, plaintext, []byte(context))
	return id + "." + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// Open decrypts a value Seal made for the same context.
func (k *Keyring) Open(sealed, context string) ([]byte, error) {
	id, encoded, ok := strings.Cut(sealed, ".")
	if !ok || k == nil {
		return nil, ErrOpen
	}
	aead, known := k.aeads[id]
	raw, err := base64.RawURLEncoding.DecodeString(encoded)
	if !known || err != nil || len(raw) < aead.NonceSize() {
		return nil, ErrOpen
	}
	plaintext, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(context))
	if err != nil {
		return nil, ErrOpen
	}
	return plaintext, nil
}

// KeyOf returns the id of the key that sealed a value, so that values
// under a retired key can be found and sealed again; "" for a value that
// is not sealed (names no key), which must not be shown as if it were an
// id.
func KeyOf(sealed string) string {
	id, _, ok := strings.Cut(sealed, ".")
	if !ok {
		return ""
	}
	return id
}

func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if key, err := enc.DecodeString(s); err == nil {
			if len(key) != KeySize {
				return nil, fmt.Errorf("is %d bytes, want %d", len(key), KeySize)
			}
			return key, nil
		}
	}
	return nil, errors.New("is not base64")
}

func validID(id string) bool {
	if id == "" || len(id) > 32 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// redact keeps an error message from repeating a key.
func redact(entry string) string {
	if id, _, ok := strings.Cut(entry, ":"); ok {
		return id + ":…"
	}
	if len(entry) > 8 {
		return entry[:4] + "…"
	}
	return entry
}

package iam

import (
	"crypto/rand"
	"math/big"
	"strings"
)

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// newID makes an IAM-style unique id: a four-letter prefix (AKIA, AIDA, AROA,
// ANPA, ASIA) and 16 upper-case base32 characters.
func newID(prefix string) string {
	return prefix + randomString(16, idAlphabet)
}

func newSecret() string {
	return randomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
}

func newAccountID() string {
	return "1" + randomString(11, "0123456789")
}

func randomString(n int, alphabet string) string {
	var b strings.Builder
	max := big.NewInt(int64(len(alphabet)))
	for i := 0; i < n; i++ {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		b.WriteByte(alphabet[v.Int64()])
	}
	return b.String()
}

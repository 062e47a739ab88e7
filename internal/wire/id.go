package wire

// maxIDDigits is the length of the longest id X uses: ids are unsigned
// 64-bit snowflakes, written in at most 19 decimal digits.
const maxIDDigits = 19

// ValidID reports whether s is an X id: 1 to 19 ASCII digits without a
// sign, spaces or leading zeros. "0" is rejected, because X ids are
// positive.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > maxIDDigits || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

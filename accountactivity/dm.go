package accountactivity

// Outgoing reports whether the DM was sent by forUserID, the subscribed
// user. X echoes the DMs that a subscribed user sends, and a bot must not
// reply to its own messages.
func (m *DirectMessage) Outgoing(forUserID string) bool {
	return forUserID != "" && m.SenderID == forUserID
}

// Incoming reports whether the DM was sent to forUserID by someone else.
func (m *DirectMessage) Incoming(forUserID string) bool {
	return forUserID != "" && m.RecipientID == forUserID && m.SenderID != forUserID
}

// OtherParticipantID returns the id of the participant who is not
// forUserID: the recipient of an outgoing DM, the sender of any other.
func (m *DirectMessage) OtherParticipantID(forUserID string) string {
	if m.SenderID == forUserID {
		return m.RecipientID
	}
	return m.SenderID
}

// ConversationID returns the one-to-one conversation id of the DM's sender
// and recipient, as the function ConversationID forms it.
func (m *DirectMessage) ConversationID() string {
	return ConversationID(m.SenderID, m.RecipientID)
}

// ConversationID returns the id of the one-to-one conversation between the
// users a and b: "smaller-larger", comparing the ids as decimal numbers, as
// X forms it. AAA DM events carry no conversation id, so this is how one is
// derived. The result does not depend on the order of a and b.
func ConversationID(a, b string) string {
	if lessID(b, a) {
		a, b = b, a
	}
	return a + "-" + b
}

// lessID compares two decimal ids without leading zeros numerically: a
// shorter id is smaller, and ids of equal length compare as text.
func lessID(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

package accountactivity

import (
	"testing"

	"github.com/goodgo/xactivity/internal/fixtures"
)

func TestConversationID(t *testing.T) {
	tests := []struct{ a, b, want string }{
		{"1470000000000000777", "1470000000000000001", "1470000000000000001-1470000000000000777"},
		{"9", "10", "9-10"},
		{"10", "9", "9-10"},
		{"99999999999999999", "100000000000000000", "99999999999999999-100000000000000000"},
		{"5", "5", "5-5"},
	}
	for _, tt := range tests {
		t.Run(tt.a+"_"+tt.b, func(t *testing.T) {
			if got := ConversationID(tt.a, tt.b); got != tt.want {
				t.Errorf("ConversationID(%s, %s) = %s, want %s", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestDMDirection(t *testing.T) {
	tests := []struct {
		file               string
		incoming, outgoing bool
		other              string
	}{
		{"dm_received.json", true, false, anaID},
		{"dm_sent_echo.json", false, true, anaID},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			d, e := decodeOne(t, string(fixtures.LoadDelivery(t, tt.file).Body))
			dm := e.(*DirectMessage)
			if got := dm.Incoming(d.ForUserID); got != tt.incoming {
				t.Errorf("Incoming = %v, want %v", got, tt.incoming)
			}
			if got := dm.Outgoing(d.ForUserID); got != tt.outgoing {
				t.Errorf("Outgoing = %v, want %v", got, tt.outgoing)
			}
			if got := dm.OtherParticipantID(d.ForUserID); got != tt.other {
				t.Errorf("OtherParticipantID = %s, want %s", got, tt.other)
			}
			if got, want := dm.ConversationID(), shopID+"-"+anaID; got != want {
				t.Errorf("ConversationID = %s, want %s", got, want)
			}
			if dm.Incoming("") || dm.Outgoing("") {
				t.Errorf("an empty forUserID counts as a direction")
			}
		})
	}
}

func TestDMSenderFromUsersMap(t *testing.T) {
	d, e := decodeOne(t, string(fixtures.LoadDelivery(t, "xaa_dm_received.json").Body))
	sender, ok := d.User(e.(*DirectMessage).SenderID)
	if !ok {
		t.Fatal("sender not found in the users map")
	}
	if sender.ScreenName != "ana_cliente" {
		t.Errorf("ScreenName = %q, want ana_cliente", sender.ScreenName)
	}
}

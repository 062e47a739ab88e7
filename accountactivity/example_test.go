package accountactivity_test

import (
	"context"
	"fmt"

	"github.com/goodgo/xactivity/accountactivity"
)

// body is a delivery as X posts it: a DM from a customer to the subscribed
// account 1470000000000000001, with the users map.
const body = `{"for_user_id":"1470000000000000001","direct_message_events":[{"type":"message_create",` +
	`"id":"1800000000000000101","created_timestamp":"1764851234567","message_create":{"target":` +
	`{"recipient_id":"1470000000000000001"},"sender_id":"1470000000000000777","message_data":` +
	`{"text":"Hi! Is the blue jacket still in stock?","entities":{"hashtags":[],"symbols":[],` +
	`"user_mentions":[],"urls":[]}}}}],"users":{"1470000000000000777":{"id":"1470000000000000777",` +
	`"name":"Ana Cliente","screen_name":"ana_cliente"}},"bookmark_events":[{"type":"bookmark"}]}`

func ExampleDecode() {
	d, err := accountactivity.Decode([]byte(body))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range d.Events {
		fmt.Println(e.Kind(), accountactivity.Key(d, e))
		if dm, ok := e.(*accountactivity.DirectMessage); ok {
			sender, _ := d.User(dm.SenderID)
			fmt.Printf("@%s: %s (incoming: %v, conversation %s)\n",
				sender.ScreenName, dm.Text, dm.Incoming(d.ForUserID), dm.ConversationID())
		}
	}
	// Output:
	// direct_message 1470000000000000001/direct_message/1800000000000000101
	// @ana_cliente: Hi! Is the blue jacket still in stock? (incoming: true, conversation 1470000000000000001-1470000000000000777)
	// unknown 1470000000000000001/unknown/sha256:2400ace34f9246e0e4d0c10cc9b65591
}

func ExampleDispatcher() {
	var x accountactivity.Dispatcher
	x.OnEvent(func(_ context.Context, d *accountactivity.Delivery, e accountactivity.Event) error {
		fmt.Println("event:", e.Kind())
		return nil
	})
	x.OnDirectMessage(func(_ context.Context, d *accountactivity.Delivery, dm *accountactivity.DirectMessage) error {
		if dm.Outgoing(d.ForUserID) {
			return nil // X echoes the account's own DMs: never reply to them
		}
		fmt.Println("reply to", dm.OtherParticipantID(d.ForUserID))
		return nil
	})
	x.OnUnknown(func(_ context.Context, _ *accountactivity.Delivery, e *accountactivity.UnknownEvent) error {
		fmt.Printf("unknown %s: %s\n", e.Key, e.Raw())
		return nil
	})

	d, err := accountactivity.Decode([]byte(body))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := x.Dispatch(context.Background(), d); err != nil {
		fmt.Println(err)
	}
	// Output:
	// event: direct_message
	// reply to 1470000000000000777
	// event: unknown
	// unknown bookmark_events: {"type":"bookmark"}
}

func ExampleConversationID() {
	fmt.Println(accountactivity.ConversationID("1470000000000000777", "1470000000000000001"))
	fmt.Println(accountactivity.ConversationID("9", "10"))
	// Output:
	// 1470000000000000001-1470000000000000777
	// 9-10
}

package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestQueryPlans checks that the queries that run on every delivery or page
// use their indexes instead of scanning the table.
func TestQueryPlans(t *testing.T) {
	s := openStore(t)
	tests := []struct {
		name  string
		query string
		args  []any
		index string
	}{
		{"claim", fmt.Sprintf(claimSQL, ""), []any{"w", 1, 1, 1, 10}, "inbox_events_claimable"},
		{"conversations", "SELECT " + conversationColumns + " FROM conversations WHERE merchant_id = ? AND (last_message_at, id) < (?, ?) ORDER BY last_message_at DESC, id DESC LIMIT ?",
			[]any{"m", 1, 1, 10}, "conversations_by_merchant"},
		{"messages", "SELECT " + messageColumns + " FROM messages WHERE conversation_id = ? AND " + messageAfter + " ORDER BY " + messageOrder + " LIMIT ?",
			[]any{1, 1, 1, "1", 1, 10}, "messages_by_conversation"},
		{"claim outbox", fmt.Sprintf(claimOutboxSQL, ""), []any{"w", 1, 1, 1, 10}, "outbox_claimable"},
		{"expire leases", expireRowsSQL, []any{"r", 1, 1}, "outbox_leases"},
		{"echo match", oldestUnsentSQL, []any{1, "hello"}, "messages_unsent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := s.db.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+tt.query, tt.args...)
			if err != nil {
				t.Fatalf("EXPLAIN: %v", err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatalf("scan plan: %v", err)
				}
				plan = append(plan, detail)
			}
			if !strings.Contains(strings.Join(plan, "\n"), tt.index) {
				t.Errorf("plan does not use index %s:\n%s", tt.index, strings.Join(plan, "\n"))
			}
		})
	}
}

package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/goodgo/xactivity/store"
)

// Enqueue stores a delivery and its new events; see store.Inbox. Concurrent
// calls are committed together in one transaction (group commit), and each
// returns after that transaction commits.
func (s *Store) Enqueue(ctx context.Context, d store.Delivery) (store.EnqueueResult, error) {
	if err := ctx.Err(); err != nil {
		return store.EnqueueResult{}, err
	}
	for i, ev := range d.Events {
		if ev.Key == "" {
			return store.EnqueueResult{}, fmt.Errorf("sqlstore: event %d of the delivery has an empty key: %w", i, store.ErrInvalid)
		}
	}
	return s.inbox.enqueue(ctx, d)
}

// maxRowsPerInsert bounds the rows of one multi-row INSERT, so that a
// statement has at most 5 × 128 = 640 parameters. That is below SQLite's
// default limit on parameters (32,766 since SQLite 3.32, 999 before) and
// the 65,535 that PostgreSQL's protocol allows.
const maxRowsPerInsert = 128

// insertDeliveries stores the deliveries in one transaction and returns
// their results in the same order. Each table gets one multi-row INSERT per
// maxRowsPerInsert rows, so a batch costs a few round trips to the
// database, not two per delivery. A key that appears more than once in the
// batch is inserted for its first delivery only and counts as a duplicate
// everywhere else, as if the deliveries had been stored one after another.
// The caller must hold the right that lockWrites grants.
func (s *Store) insertDeliveries(ctx context.Context, batch []store.Delivery) ([]store.EnqueueResult, error) {
	var ids []int64
	var inserted map[string]struct{}
	var first map[string][2]int
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.nowMillis()
		var err error
		if ids, err = s.insertBodies(ctx, tx, batch, now); err != nil {
			return err
		}
		var rows []eventRow
		rows, first = newEventRows(batch, ids)
		inserted, err = s.insertEvents(ctx, tx, rows, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	results := make([]store.EnqueueResult, len(batch))
	for i, d := range batch {
		results[i].DeliveryID = ids[i]
		for j, ev := range d.Events {
			if _, ok := inserted[ev.Key]; ok && first[ev.Key] == [2]int{i, j} {
				results[i].Inserted++
			} else {
				results[i].Duplicates++
			}
		}
	}
	return results, nil
}

// insertBodies inserts a row into inbox_deliveries for each delivery and
// returns the new ids in batch order.
//
// RETURNING lists rows in no promised order, so the ids are sorted. Both
// databases give the rows of one INSERT ... VALUES ids that grow in the
// order of the VALUES list: SQLite assigns each AUTOINCREMENT id as it
// inserts the row, and PostgreSQL evaluates the identity column's nextval
// for each VALUES row as it reads the row.
//
// NOTE: neither database documents that order. TestInsertDeliveriesBatch
// checks it on SQLite and PostgreSQL 15.
func (s *Store) insertBodies(ctx context.Context, tx *sql.Tx, batch []store.Delivery, now int64) ([]int64, error) {
	ids := make([]int64, 0, len(batch))
	for chunk := range slices.Chunk(batch, maxRowsPerInsert) {
		args := make([]any, 0, 2*len(chunk))
		for _, d := range chunk {
			received := now
			if !d.ReceivedAt.IsZero() {
				received = d.ReceivedAt.UnixMilli()
			}
			body := d.Body
			if body == nil {
				body = []byte{} // the column is NOT NULL
			}
			args = append(args, body, received)
		}
		query := s.q(insertValuesSQL("INSERT INTO inbox_deliveries (body, received_at) VALUES ", "(?, ?)", len(chunk)) +
			" RETURNING id")
		got, err := queryList(ctx, tx, query, args, func(row rowScanner) (int64, error) {
			var id int64
			err := row.Scan(&id)
			return id, err
		})
		if err != nil {
			return nil, err
		}
		if len(got) != len(chunk) {
			return nil, fmt.Errorf("insert of %d deliveries returned %d ids", len(chunk), len(got))
		}
		slices.Sort(got)
		ids = append(ids, got...)
		yieldBetweenStatements()
	}
	return ids, nil
}

// eventRow is one inbox_events row to insert.
type eventRow struct {
	deliveryID int64
	ev         store.InboxEvent
}

// newEventRows returns the rows to insert for the batch: one per distinct
// key, for its first occurrence in batch order, with ids[i] as the
// delivery id of batch[i]. It also returns the position (delivery index,
// event index) of each key's first occurrence.
func newEventRows(batch []store.Delivery, ids []int64) ([]eventRow, map[string][2]int) {
	var rows []eventRow
	first := make(map[string][2]int)
	for i, d := range batch {
		for j, ev := range d.Events {
			if _, seen := first[ev.Key]; seen {
				continue
			}
			first[ev.Key] = [2]int{i, j}
			rows = append(rows, eventRow{deliveryID: ids[i], ev: ev})
		}
	}
	return rows, first
}

// insertEvents inserts the rows whose key is not yet in inbox_events, in
// the order given, and returns the keys it inserted. The keys of rows must
// be distinct.
func (s *Store) insertEvents(ctx context.Context, tx *sql.Tx, rows []eventRow, now int64) (map[string]struct{}, error) {
	inserted := make(map[string]struct{}, len(rows))
	for chunk := range slices.Chunk(rows, maxRowsPerInsert) {
		args := make([]any, 0, 5*len(chunk))
		for _, r := range chunk {
			args = append(args, r.deliveryID, r.ev.Key, r.ev.Kind, r.ev.ForUserID, now)
		}
		query := s.q(insertValuesSQL(insertEventsSQL, "(?, ?, ?, ?, 'pending', 0, 0, '', '', ?)", len(chunk)) +
			" ON CONFLICT (event_key) DO NOTHING RETURNING event_key")
		keys, err := queryList(ctx, tx, query, args, func(row rowScanner) (string, error) {
			var key string
			err := row.Scan(&key)
			return key, err
		})
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			inserted[k] = struct{}{}
		}
		yieldBetweenStatements()
	}
	return inserted, nil
}

const insertEventsSQL = `INSERT INTO inbox_events
	(delivery_id, event_key, kind, for_user_id, status, attempts, available_at, lease_owner, last_error, updated_at)
	VALUES `

// insertValuesSQL returns prefix followed by n copies of row, separated by
// commas.
func insertValuesSQL(prefix, row string, n int) string {
	var b strings.Builder
	b.Grow(len(prefix) + n*(len(row)+2))
	b.WriteString(prefix)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}

// yieldBetweenStatements lets other goroutines run between the statements
// of a batch. Building and running a statement of many rows is CPU work,
// and yielding lets short requests, such as CRC checks, run in between
// instead of waiting for the whole batch.
func yieldBetweenStatements() { runtime.Gosched() }

// claimSQL leases the oldest claimable rows in one statement, so two
// claimers can never take the same row. Its WHERE repeats the condition of
// the inbox_events_claimable index so that the database can use it.
const claimSQL = `UPDATE inbox_events
	SET status = 'processing', attempts = attempts + 1, lease_owner = ?, available_at = ?, updated_at = ?
	WHERE id IN (
		SELECT id FROM inbox_events
		WHERE status IN ('pending', 'processing') AND available_at <= ?
		ORDER BY id LIMIT ? %s)
	RETURNING id, delivery_id, event_key, kind, for_user_id, attempts, lease_owner`

// Claim leases pending rows, oldest first; see store.Inbox.
func (s *Store) Claim(ctx context.Context, owner string, limit int, lease time.Duration) ([]store.InboxItem, error) {
	if err := checkClaim(limit, lease); err != nil {
		return nil, err
	}
	var items []store.InboxItem
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		now := s.nowMillis()
		query := s.q(fmt.Sprintf(claimSQL, s.dialect.claimLock))
		items, err = queryList(ctx, tx, query,
			[]any{owner, now + lease.Milliseconds(), now, now, limit}, scanClaimed)
		if err != nil || len(items) == 0 {
			return err
		}
		return s.addBodies(ctx, tx, items)
	})
	if err != nil {
		return nil, wrap("claim", err)
	}
	slices.SortFunc(items, func(a, b store.InboxItem) int { return cmp.Compare(a.ID, b.ID) })
	return items, nil
}

// checkClaim returns an error wrapping store.ErrInvalid when limit is below
// 1 or lease is shorter than a millisecond.
func checkClaim(limit int, lease time.Duration) error {
	if limit < 1 {
		return fmt.Errorf("sqlstore: claim limit %d is less than 1: %w", limit, store.ErrInvalid)
	}
	if lease < time.Millisecond {
		return fmt.Errorf("sqlstore: lease %v is shorter than 1ms: %w", lease, store.ErrInvalid)
	}
	return nil
}

func scanClaimed(row rowScanner) (store.InboxItem, error) {
	var it store.InboxItem
	err := row.Scan(&it.ID, &it.DeliveryID, &it.Key, &it.Kind, &it.ForUserID, &it.Attempts, &it.Lease.Owner)
	it.Lease.ID, it.Lease.Attempt = it.ID, it.Attempts
	return it, err
}

// addBodies sets the body and receive time of each item's delivery.
func (s *Store) addBodies(ctx context.Context, tx *sql.Tx, items []store.InboxItem) error {
	var ids []any
	for _, it := range items {
		if !slices.Contains(ids, any(it.DeliveryID)) {
			ids = append(ids, it.DeliveryID)
		}
	}
	type delivery struct {
		id       int64
		body     []byte
		received int64
	}
	query := s.q("SELECT id, body, received_at FROM inbox_deliveries WHERE id IN (" + placeholders(len(ids)) + ")")
	list, err := queryList(ctx, tx, query, ids, func(row rowScanner) (delivery, error) {
		var d delivery
		err := row.Scan(&d.id, &d.body, &d.received)
		return d, err
	})
	if err != nil {
		return err
	}
	for i := range items {
		for _, d := range list {
			if d.id == items[i].DeliveryID {
				items[i].Body = nonEmpty(d.body)
				items[i].ReceivedAt = fromMillis(d.received)
			}
		}
	}
	return nil
}

// The settling statements change a row only while it is in processing
// under the caller's lease. Settled rows keep lease_owner and attempts,
// which name their last claim.
const (
	completeSQL = `UPDATE inbox_events SET status = 'done', updated_at = ?
	WHERE id = ? AND status = 'processing' AND lease_owner = ? AND attempts = ?`
	failSQL = `UPDATE inbox_events SET status = ?, available_at = ?, last_error = ?, updated_at = ?
	WHERE id = ? AND status = 'processing' AND lease_owner = ? AND attempts = ?`
)

// Complete marks a row done; see store.Inbox.
func (s *Store) Complete(ctx context.Context, lease store.Lease) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(completeSQL), s.nowMillis(), lease.ID, lease.Owner, lease.Attempt)
		if n, err := rowsAffected(res, err); err != nil || n == 1 {
			return err
		}
		return s.unsettledInbox(ctx, tx, lease, true)
	})
	return wrap("complete inbox event", err)
}

// Fail records a processing error on a claimed row; see store.Inbox.
func (s *Store) Fail(ctx context.Context, lease store.Lease, reason string, retryAt time.Time, final bool) error {
	status := store.InboxPending
	if final {
		status = store.InboxFailed
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(failSQL),
			status, retryAt.UnixMilli(), reason, s.nowMillis(), lease.ID, lease.Owner, lease.Attempt)
		if n, err := rowsAffected(res, err); err != nil || n == 1 {
			return err
		}
		return s.unsettledInbox(ctx, tx, lease, false)
	})
	return wrap("fail inbox event", err)
}

// unsettledInbox returns the error for a settling statement that changed
// no row: store.ErrNotFound when no row has the id, nil when doneOK is set
// and the row is already done under lease, and store.ErrNotClaimed
// otherwise.
func (s *Store) unsettledInbox(ctx context.Context, tx *sql.Tx, lease store.Lease, doneOK bool) error {
	var status store.InboxStatus
	var owner string
	var attempts int
	err := tx.QueryRowContext(ctx, s.q("SELECT status, lease_owner, attempts FROM inbox_events WHERE id = ?"),
		lease.ID).Scan(&status, &owner, &attempts)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.ErrNotFound
	case err != nil:
		return err
	case owner != lease.Owner || attempts != lease.Attempt:
		return fmt.Errorf("sqlstore: inbox row %d is no longer held by attempt %d of %q: %w",
			lease.ID, lease.Attempt, lease.Owner, store.ErrNotClaimed)
	case doneOK && status == store.InboxDone:
		return nil
	}
	return fmt.Errorf("sqlstore: inbox row %d is %s: %w", lease.ID, status, store.ErrNotClaimed)
}

// rowsAffected returns the number of rows a statement changed.
func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// InboxCounts returns the number of rows in each state; see store.Inbox.
func (s *Store) InboxCounts(ctx context.Context) (map[store.InboxStatus]int, error) {
	type count struct {
		status store.InboxStatus
		n      int
	}
	list, err := queryList(ctx, s.db, "SELECT status, COUNT(*) FROM inbox_events GROUP BY status", nil,
		func(row rowScanner) (count, error) {
			var c count
			err := row.Scan(&c.status, &c.n)
			return c, err
		})
	if err != nil {
		return nil, wrap("count inbox events", err)
	}
	counts := map[store.InboxStatus]int{
		store.InboxPending: 0, store.InboxProcessing: 0, store.InboxDone: 0, store.InboxFailed: 0,
	}
	for _, c := range list {
		counts[c.status] = c.n
	}
	return counts, nil
}

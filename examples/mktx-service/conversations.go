package main

import (
	"net/http"

	"github.com/goodgo/xactivity/store"
)

type conversationView struct {
	ID                  string    `json:"id"`
	AccountID           string    `json:"accountId"`
	ParticipantID       string    `json:"participantId"`
	ParticipantUsername string    `json:"participantUsername"`
	LastMessageAt       *timeJSON `json:"lastMessageAt"`
	LastMessagePreview  string    `json:"lastMessagePreview"`
}

func viewConversation(c store.Conversation) conversationView {
	v := conversationView{
		ID:                  c.ID,
		AccountID:           c.AccountID,
		ParticipantID:       c.ParticipantID,
		ParticipantUsername: c.ParticipantUsername,
		LastMessagePreview:  c.LastMessagePreview,
	}
	if !c.LastMessageAt.IsZero() {
		t := timeJSON(c.LastMessageAt)
		v.LastMessageAt = &t
	}
	return v
}

type messageView struct {
	ID             string   `json:"id"`
	ConversationID string   `json:"conversationId"`
	Direction      string   `json:"direction"`
	TwitterEventID string   `json:"twitterEventId"`
	SenderID       string   `json:"senderId"`
	Content        string   `json:"content"`
	Type           string   `json:"type"`
	Status         string   `json:"status"`
	CreatedAt      timeJSON `json:"createdAt"`
}

func viewMessage(m store.Message) messageView {
	return messageView{
		ID:             m.ID,
		ConversationID: m.ConversationID,
		Direction:      string(m.Direction),
		TwitterEventID: m.XEventID,
		SenderID:       m.SenderID,
		Content:        m.Content,
		Type:           m.Type,
		Status:         string(m.Status),
		CreatedAt:      timeJSON(m.CreatedAt),
	}
}

func (s *server) listConversations(w http.ResponseWriter, r *http.Request) {
	limit, err := parseLimit(r)
	if err != nil {
		s.rejectRequest(w, r, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	page, err := s.store.Conversations(r.Context(), store.ConversationQuery{
		MerchantID: merchantID(r.Context()),
		AccountID:  r.URL.Query().Get("accountId"),
		Limit:      limit,
		Cursor:     r.URL.Query().Get("cursor"),
	})
	if s.storeError(w, r, "account", err) {
		return
	}
	views := make([]conversationView, 0, len(page.Items))
	for _, c := range page.Items {
		views = append(views, viewConversation(c))
	}
	writeList(w, views, page.NextCursor)
}

func (s *server) getConversation(w http.ResponseWriter, r *http.Request) {
	c, err := s.store.Conversation(r.Context(), merchantID(r.Context()), r.PathValue("id"))
	if s.storeError(w, r, "conversation", err) {
		return
	}
	writeData(w, http.StatusOK, viewConversation(c))
}

func (s *server) listMessages(w http.ResponseWriter, r *http.Request) {
	limit, err := parseLimit(r)
	if err != nil {
		s.rejectRequest(w, r, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	page, err := s.store.Messages(r.Context(), store.MessageQuery{
		MerchantID:     merchantID(r.Context()),
		ConversationID: r.PathValue("id"),
		Limit:          limit,
		Cursor:         r.URL.Query().Get("cursor"),
	})
	if s.storeError(w, r, "conversation", err) {
		return
	}
	views := make([]messageView, 0, len(page.Items))
	for _, m := range page.Items {
		views = append(views, viewMessage(m))
	}
	writeList(w, views, page.NextCursor)
}

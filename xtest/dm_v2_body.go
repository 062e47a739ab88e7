package xtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"unicode/utf8"
)

// maxTextRunes is the longest DM text X accepts, in characters, in both API
// generations.
const maxTextRunes = 10000

// maxGroupParticipants is the largest participant_ids list of a new group
// conversation, as X's OpenAPI description states; 2 is the smallest.
const maxGroupParticipants = 49

// numericID matches the ids X's OpenAPI description allows in paths and
// bodies: 1 to 19 decimal digits.
var numericID = regexp.MustCompile(`^[0-9]{1,19}$`)

// conversationIDPattern matches a DM conversation id: two user ids joined by
// "-" for a one-to-one conversation, or one id of 15 to 19 digits for a
// group.
var conversationIDPattern = regexp.MustCompile(`^([0-9]{1,19}-[0-9]{1,19}|[0-9]{15,19})$`)

// problemTypeBase is the start of the type URI of X's v2 problems.
const problemTypeBase = "https://api.x.com/2/problems/"

// paramError is one entry of the errors array of an invalid-request
// problem.
type paramError struct {
	Parameters map[string][]string `json:"parameters,omitempty"`
	Message    string              `json:"message"`
}

// typedProblem is a v2 problem JSON with one of the types X's OpenAPI
// description lists, such as invalid-request or resource-not-found.
type typedProblem struct {
	Errors       []paramError `json:"errors,omitempty"`
	Title        string       `json:"title"`
	Detail       string       `json:"detail"`
	Type         string       `json:"type"`
	Status       int          `json:"status,omitempty"`
	ResourceType string       `json:"resource_type,omitempty"`
	ResourceID   string       `json:"resource_id,omitempty"`
	Parameter    string       `json:"parameter,omitempty"`
	Value        string       `json:"value,omitempty"`
}

// invalidRequest returns the 400 problem that lists errs.
func invalidRequest(errs []paramError) typedProblem {
	return typedProblem{
		Errors: errs,
		Title:  "Invalid Request",
		Detail: "One or more parameters to your request was invalid.",
		Type:   problemTypeBase + "invalid-request",
	}
}

// notFound returns the problem for a resource of resourceType, named by
// parameter with value id, that does not exist.
func notFound(resourceType, parameter, id string) typedProblem {
	return typedProblem{
		Title:        "Not Found Error",
		Detail:       fmt.Sprintf("Could not find %s with %s: [%s].", resourceType, parameter, id),
		Type:         problemTypeBase + "resource-not-found",
		ResourceType: resourceType,
		ResourceID:   id,
		Parameter:    parameter,
		Value:        id,
	}
}

// writeProblem sends p with status.
func writeProblem(w http.ResponseWriter, status int, p typedProblem) {
	writeJSON(w, "application/problem+json", status, p)
}

// bodyError returns the error entry for a body member at path, which is a
// JSON path such as "$.message.text".
func bodyError(path, format string, args ...any) paramError {
	return paramError{Message: path + ": " + fmt.Sprintf(format, args...)}
}

// paramErr returns the error entry for query or path parameter name.
func paramErr(name, value, format string, args ...any) paramError {
	return paramError{
		Parameters: map[string][]string{name: {value}},
		Message:    fmt.Sprintf(format, args...),
	}
}

// decodeObject decodes data as a JSON object into its members. It reports
// false for any other JSON value and for data that is not JSON.
func decodeObject(data []byte) (map[string]json.RawMessage, bool) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return nil, false
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, false
	}
	return obj, true
}

// unknownMembers returns an error for each member of obj not in allowed, in
// sorted order, because X's schemas for DM bodies forbid other members.
func unknownMembers(obj map[string]json.RawMessage, path string, allowed ...string) []paramError {
	var names []string
	for name := range obj {
		if !slices.Contains(allowed, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	var errs []paramError
	for _, name := range names {
		errs = append(errs, bodyError(path+"."+name,
			"is not defined in the schema and the schema does not allow additional properties"))
	}
	return errs
}

// parseV2Message parses the body of a v2 send to a participant or a
// conversation: a JSON object with text, attachments or both, and no other
// member. It returns the message, or the errors to send in a 400 problem.
func parseV2Message(body []byte) (message, []paramError) {
	obj, ok := decodeObject(body)
	if !ok {
		return message{}, []paramError{bodyError("$", "the request body must be a JSON object")}
	}
	return parseV2MessageObject(obj, "$")
}

// parseV2MessageObject parses the members of a message object at path.
func parseV2MessageObject(obj map[string]json.RawMessage, path string) (message, []paramError) {
	errs := unknownMembers(obj, path, "text", "attachments")
	var msg message
	rawText, hasText := obj["text"]
	rawAttachments, hasAttachments := obj["attachments"]
	if !hasText && !hasAttachments {
		errs = append(errs, bodyError(path, "one of text or attachments is required"))
	}
	if hasText {
		var err *paramError
		msg.text, err = parseV2Text(rawText, path+".text")
		if err != nil {
			errs = append(errs, *err)
		}
	}
	if hasAttachments {
		var attachmentErrs []paramError
		msg.mediaIDs, attachmentErrs = parseV2Attachments(rawAttachments, path+".attachments")
		errs = append(errs, attachmentErrs...)
		if !hasText && len(attachmentErrs) == 0 && len(msg.mediaIDs) == 0 {
			errs = append(errs, bodyError(path+".attachments", "must not be empty without text"))
		}
	}
	return msg, errs
}

func parseV2Text(raw json.RawMessage, path string) (string, *paramError) {
	var text string
	if err := json.Unmarshal(raw, &text); err != nil {
		e := bodyError(path, "must be a string")
		return "", &e
	}
	if text == "" {
		e := bodyError(path, "must be at least 1 characters long")
		return "", &e
	}
	if n := utf8.RuneCountInString(text); n > maxTextRunes {
		e := bodyError(path, "must be at most %d characters long, not %d", maxTextRunes, n)
		return "", &e
	}
	return text, nil
}

// parseV2Attachments parses an attachments array. X accepts one media id
// per DM.
func parseV2Attachments(raw json.RawMessage, path string) ([]string, []paramError) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || items == nil {
		return nil, []paramError{bodyError(path, "must be an array")}
	}
	if len(items) > 1 {
		return nil, []paramError{bodyError(path, "must have at most 1 items, not %d", len(items))}
	}
	var ids []string
	var errs []paramError
	for i, item := range items {
		itemPath := fmt.Sprintf("%s[%d]", path, i)
		obj, ok := decodeObject(item)
		if !ok {
			errs = append(errs, bodyError(itemPath, "must be an object"))
			continue
		}
		errs = append(errs, unknownMembers(obj, itemPath, "media_id")...)
		var id string
		if err := json.Unmarshal(obj["media_id"], &id); err != nil || !numericID.MatchString(id) {
			errs = append(errs, bodyError(itemPath+".media_id", "is required and must match %s", numericID))
			continue
		}
		ids = append(ids, id)
	}
	return ids, errs
}

// groupRequest is a parsed body of POST /2/dm_conversations.
type groupRequest struct {
	participants []string // as sent, in order
	msg          message
}

// parseGroupRequest parses the body of POST /2/dm_conversations: a JSON
// object with conversation_type "Group", participant_ids (2 to 49 ids) and
// message, and no other member.
func parseGroupRequest(body []byte) (groupRequest, []paramError) {
	obj, ok := decodeObject(body)
	if !ok {
		return groupRequest{}, []paramError{bodyError("$", "the request body must be a JSON object")}
	}
	errs := unknownMembers(obj, "$", "conversation_type", "participant_ids", "message")
	var kind string
	if err := json.Unmarshal(obj["conversation_type"], &kind); err != nil || kind != "Group" {
		errs = append(errs, bodyError("$.conversation_type", "is required and must be one of [Group]"))
	}
	var req groupRequest
	var participantErrs []paramError
	req.participants, participantErrs = parseParticipantIDs(obj["participant_ids"])
	errs = append(errs, participantErrs...)
	msgObj, ok := decodeObject(obj["message"])
	if !ok {
		return req, append(errs, bodyError("$.message", "is required and must be an object"))
	}
	var msgErrs []paramError
	req.msg, msgErrs = parseV2MessageObject(msgObj, "$.message")
	return req, append(errs, msgErrs...)
}

func parseParticipantIDs(raw json.RawMessage) ([]string, []paramError) {
	const path = "$.participant_ids"
	var ids []string
	if err := json.Unmarshal(raw, &ids); err != nil || ids == nil {
		return nil, []paramError{bodyError(path, "is required and must be an array of strings")}
	}
	if len(ids) < 2 || len(ids) > maxGroupParticipants {
		return nil, []paramError{bodyError(path, "must have 2 to %d items, not %d", maxGroupParticipants, len(ids))}
	}
	var errs []paramError
	for i, id := range ids {
		if !numericID.MatchString(id) {
			errs = append(errs, bodyError(fmt.Sprintf("%s[%d]", path, i), "must match %s", numericID))
		}
	}
	return ids, errs
}

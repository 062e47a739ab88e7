package xtest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxPostRunes is the longest post Post accepts: 25,000 characters, X's
// limit for Premium subscribers.
const maxPostRunes = 25000

// firstPostID is the first post id the fake gives out. Like the other ids
// of the fake it is above 2^53.
const firstPostID = 2000000000000000000

// post is a post of the simulated world.
type post struct {
	id, authorID, text string
	created            time.Time
	mentions           []mention // in text order
}

// length returns the length of the post's text in characters.
func (p *post) length() int { return utf8.RuneCountInString(p.text) }

// mentionedUsers returns the ids of the users p mentions, once each and
// without its author, in text order.
func (p *post) mentionedUsers() []string {
	var ids []string
	for _, m := range p.mentions {
		if m.userID != p.authorID && !slices.Contains(ids, m.userID) {
			ids = append(ids, m.userID)
		}
	}
	return ids
}

// mention is an @mention of a registered user in a post.
type mention struct {
	userID, username, name string
	start, end             int // character offsets of "@" and past the handle
}

// Post publishes a post with text by user authorID, as from X's own apps,
// and returns its id. Every "@username" of a registered user, matched
// ignoring case, is a mention. A tweet_create_events body goes to the
// webhooks the author is subscribed to and to those of each mentioned
// user, each copy with its own for_user_id. A mentioned user's copy also
// has user_has_blocked, true when that user blocks the author. A text
// longer than 140 characters is truncated in the body, with the full text
// in extended_tweet, as X does. The X Activity API gets a post.create
// envelope for the subscriptions whose filter names the author or whose
// keyword the text contains, ignoring case, and a post.mention.create
// envelope for those whose filter names a mentioned user.
//
// It returns an error when the author is not registered, when text is
// empty or longer than 25,000 characters, and when deliveries fail to
// send. The post exists even then.
func (s *Server) Post(ctx context.Context, authorID, text string) (string, error) {
	author, ok := s.profileOf(authorID)
	if !ok {
		return "", fmt.Errorf("xtest: author %q not found", authorID)
	}
	if n := utf8.RuneCountInString(text); n == 0 || n > maxPostRunes {
		return "", fmt.Errorf("xtest: post text has %d characters, want 1 to %d", n, maxPostRunes)
	}
	p := s.social.addPost(authorID, text, s.findMentions(text), s.now())
	tweet := renderTweet(p, author)
	occ := occurrence{aaa: []aaaCopy{s.aaaCopyFor(authorID, aaaBody{ForUserID: authorID, TweetCreate: []aaaTweet{tweet}})}}
	users := []xaaUser{xaaUserOf(author)}
	var mentionRoles []xaaRole
	for _, id := range p.mentionedUsers() {
		blocked := s.social.has(relBlock, edge{id, authorID})
		occ.aaa = append(occ.aaa, s.aaaCopyFor(id, aaaBody{
			ForUserID: id, UserHasBlocked: &blocked, TweetCreate: []aaaTweet{tweet},
		}))
		mentionRoles = append(mentionRoles, xaaRole{id, ""})
		if m, ok := s.profileOf(id); ok {
			users = append(users, xaaUserOf(m))
		}
	}
	includes := xaaPostIncludes{Users: users, Tweets: []v2Post{renderV2Post(p)}}
	occ.xaa = []xaaEvent{
		{eventType: "post.create", roles: []xaaRole{{authorID, ""}}, text: text,
			payload: renderV2Post(p), includes: includes},
		{eventType: "post.mention.create", roles: mentionRoles, payload: renderV2Post(p), includes: includes},
	}
	return p.id, s.emit(ctx, occ)
}

// addPost stores a new post and returns it.
func (st *socialState) addPost(authorID, text string, mentions []mention, now time.Time) *post {
	st.mu.Lock()
	defer st.mu.Unlock()
	p := &post{
		id:       strconv.FormatUint(firstPostID+st.nextPost, 10),
		authorID: authorID, text: text, created: now, mentions: mentions,
	}
	st.nextPost++
	st.posts[p.id] = p
	return p
}

// findMentions returns the mentions of registered users in text: an "@"
// at the start or after a character that cannot be part of a username,
// followed by the letters, digits and underscores of a registered
// username, ignoring case. The fake does not limit usernames to X's 15
// characters, so neither does it limit mentions. Offsets count characters,
// as X's indices do.
func (s *Server) findMentions(text string) []mention {
	runes := []rune(text)
	var out []mention
	s.world.mu.RLock()
	defer s.world.mu.RUnlock()
	for i := 0; i < len(runes); i++ {
		if runes[i] != '@' || (i > 0 && (isHandleRune(runes[i-1]) || runes[i-1] == '@')) {
			continue
		}
		end := i + 1
		for end < len(runes) && isHandleRune(runes[end]) {
			end++
		}
		if end == i+1 {
			continue
		}
		id, ok := s.world.usersByHandle[strings.ToLower(string(runes[i+1:end]))]
		if !ok {
			continue
		}
		p := s.world.users[id]
		out = append(out, mention{userID: id, username: p.username, name: p.name, start: i, end: end})
		i = end - 1
	}
	return out
}

// isHandleRune reports whether r may appear in a username.
func isHandleRune(r rune) bool {
	return r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9')
}

// Like makes user userID like post postID. A favorite_events body goes to
// the webhooks the post's author is subscribed to and to those of the
// liker, once when the two are the same user. A like.create envelope goes
// to the X Activity API subscriptions whose filter names the liker, with
// direction outbound or none, or the author, with inbound or none.
//
// It returns an error when the user is not registered, when the post does
// not exist or was deleted, when the user already likes it, and when
// deliveries fail to send.
func (s *Server) Like(ctx context.Context, userID, postID string) error {
	liker, ok := s.profileOf(userID)
	if !ok {
		return fmt.Errorf("xtest: user %q not found", userID)
	}
	p, n, err := s.social.like(userID, postID)
	if err != nil {
		return err
	}
	author, _ := s.profileOf(p.authorID)
	now := s.now()
	id := likeID(n)
	body := func(forUserID string) aaaBody {
		return aaaBody{ForUserID: forUserID, Favorite: []aaaFavorite{renderFavorite(id, now, p, author, liker)}}
	}
	occ := occurrence{aaa: []aaaCopy{s.aaaCopyFor(p.authorID, body(p.authorID))}}
	if userID != p.authorID {
		occ.aaa = append(occ.aaa, s.aaaCopyFor(userID, body(userID)))
	}
	occ.xaa = []xaaEvent{{
		eventType: "like.create", roles: []xaaRole{{userID, "outbound"}, {p.authorID, "inbound"}},
		payload:  renderXAALike(id, now, p),
		includes: xaaPostIncludes{Users: []xaaUser{xaaUserOf(author)}, Tweets: []v2Post{renderV2Post(p)}},
	}}
	return s.emit(ctx, occ)
}

// like records that userID likes postID and returns a copy of the post and
// the like's number, from which its id is made.
func (st *socialState) like(userID, postID string) (*post, uint64, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	p, ok := st.posts[postID]
	if !ok {
		return nil, 0, fmt.Errorf("xtest: post %q not found", postID)
	}
	key := edge{userID, postID}
	if st.likes[key] {
		return nil, 0, fmt.Errorf("xtest: user %s already likes post %s", userID, postID)
	}
	st.likes[key] = true
	n := st.nextLike
	st.nextLike++
	c := *p
	return &c, n, nil
}

// DeletePost deletes post postID, as its author would. A
// tweet_delete_events body goes to the users who got the post: to the
// webhooks the author is subscribed to and to those of each user the post
// mentions. A post.delete envelope goes to the X Activity API
// subscriptions whose filter names the author.
//
// It returns an error when the post does not exist or was already deleted,
// and when deliveries fail to send.
func (s *Server) DeletePost(ctx context.Context, postID string) error {
	p, ok := s.social.deletePost(postID)
	if !ok {
		return fmt.Errorf("xtest: post %q not found", postID)
	}
	author, _ := s.profileOf(p.authorID)
	del := renderTweetDelete(p, s.now())
	var occ occurrence
	for _, id := range append([]string{p.authorID}, p.mentionedUsers()...) {
		occ.aaa = append(occ.aaa, s.aaaCopyFor(id, aaaBody{ForUserID: id, TweetDelete: []aaaTweetDelete{del}}))
	}
	occ.xaa = []xaaEvent{{
		eventType: "post.delete", roles: []xaaRole{{p.authorID, ""}},
		payload:  xaaPostDelete{ID: p.id, AuthorID: p.authorID},
		includes: xaaWrappedIncludes{Users: []xaaUserData{wrapUser(author)}},
	}}
	return s.emit(ctx, occ)
}

// deletePost removes post id and its likes and returns it.
func (st *socialState) deletePost(id string) (*post, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	p, ok := st.posts[id]
	if !ok {
		return nil, false
	}
	delete(st.posts, id)
	for key := range st.likes {
		if key.to == id {
			delete(st.likes, key)
		}
	}
	return p, true
}

package pipeline

import (
	"encoding/base64"
	"errors"
	"reflect"
	"strconv"
	"strings"

	"github.com/rootaccess/emulator/pkg/store"
)

// errInvalidToken is returned by paginateScoped for a token it did not issue (or
// issued for another listing). Each service maps it to its own error:
// Organizations' InvalidInputException INVALID_NEXT_TOKEN, IAM's
// ValidationError for a bad Marker, SQS's InvalidParameterValue…
var ErrInvalidToken = errors.New("invalid pagination token")

// tokenPrefix versions the token format so that a future change can refuse
// old tokens instead of misreading them.
const tokenPrefix = "p1"

// paginateScoped returns the page of items that starts where token (empty:
// the first page) says, at most max items (max <= 0: everything left;
// callers apply their service's default and bounds first), and the token of
// the next page, empty on the last page. The token is opaque to clients:
// base64 of the offset and a tag naming the element type and the scope, so
// that a token from one kind of listing is refused by another. The scope
// ("" for none) tells apart listings of one element type that must not
// accept each other's tokens (e.g. the listing's filter: a token from a
// filtered listing is refused by the unfiltered one). Listings must be in a
// stable order (store lists are) for offsets to stay meaningful between calls.
//
// IAM-style Marker/MaxItems/IsTruncated map onto it directly: Marker is the
// token, IsTruncated is next != "" and the response Marker is next.
func PaginateScoped[T any](items []T, scope, token string, max int) (page []T, next string, err error) {
	tag := reflect.TypeFor[T]().String()
	if scope != "" {
		tag += "/" + scope
	}
	offset := 0
	if token != "" {
		if offset, err = decodePageToken(token, tag); err != nil {
			return nil, "", err
		}
	}
	if offset >= len(items) {
		// The listing shrank since the token was issued: an empty last page.
		return []T{}, "", nil
	}
	end := len(items)
	if max > 0 && offset+max < end {
		end = offset + max
		next = encodePageToken(end, tag)
	}
	return items[offset:end], next, nil
}

func encodePageToken(offset int, tag string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + "\x00" + tag + "\x00" + strconv.Itoa(offset)))
}

func decodePageToken(token, tag string) (int, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, ErrInvalidToken
	}
	parts := strings.Split(string(raw), "\x00")
	if len(parts) != 3 || parts[0] != tokenPrefix || parts[1] != tag {
		return 0, ErrInvalidToken
	}
	offset, err := strconv.Atoi(parts[2])
	if err != nil || offset <= 0 {
		return 0, ErrInvalidToken
	}
	return offset, nil
}

// cursorTokenPrefix versions the tokens of cursor-paged listings (a store
// cursor inside), distinct from the offset tokens above, so that neither
// kind of listing accepts the other's.
const cursorTokenPrefix = "c1"

// PageByCursor returns one page of a listing that the store pages with a
// cursor: page is called with the store cursor the token carries ("" for
// the first page) and the page size (max <= 0: everything left), and
// returns the items and the store's cursor of the next page. The token
// wraps that cursor with a tag of the element type and the scope, as
// PaginateScoped's does, so that a token is good only for the listing it
// came from; a token it did not issue, or a cursor the store refuses
// (store.ErrInvalidCursor), is ErrInvalidToken.
func PageByCursor[T any](scope, token string, max int, page func(after string, limit int) ([]T, string, error)) ([]T, string, error) {
	tag := reflect.TypeFor[T]().String()
	if scope != "" {
		tag += "/" + scope
	}
	after := ""
	if token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			return nil, "", ErrInvalidToken
		}
		parts := strings.SplitN(string(raw), "\x00", 3)
		if len(parts) != 3 || parts[0] != cursorTokenPrefix || parts[1] != tag || parts[2] == "" {
			return nil, "", ErrInvalidToken
		}
		after = parts[2]
	}
	items, next, err := page(after, max)
	if errors.Is(err, store.ErrInvalidCursor) {
		return nil, "", ErrInvalidToken
	} else if err != nil {
		return nil, "", err
	}
	if next != "" {
		next = base64.RawURLEncoding.EncodeToString([]byte(cursorTokenPrefix + "\x00" + tag + "\x00" + next))
	}
	return items, next, nil
}

package ports

// EventType says what happened to an object in a watch stream.
type EventType int

const (
	// EventPut: the object was created or replaced; Event.Object holds the new state.
	EventPut EventType = iota + 1
	// EventDelete: the object was deleted; Event.Object holds its last known state.
	EventDelete
	// EventSynced marks the end of the initial snapshot: every object that existed when
	// the watch started has been delivered as an EventPut. Name and Object are empty.
	EventSynced
)

func (t EventType) String() string {
	switch t {
	case EventPut:
		return "put"
	case EventDelete:
		return "delete"
	case EventSynced:
		return "synced"
	}
	return "unknown"
}

// Event is one entry of a watch stream.
type Event[T any] struct {
	Type   EventType
	Name   string
	Object T
}

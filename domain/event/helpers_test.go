package event

import "errors"

func asLegacy(err error, target **LegacyError) bool { return errors.As(err, target) }

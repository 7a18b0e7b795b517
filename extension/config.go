package extension

import "log/slog"

// Function is an extension function, made with one of the typed constructors
// (PreSavePage, Ping, …), with Func for a kind of your own, or with Raw.
type Function interface {
	invoke(c *callState) (any, error)
}

// Functions maps function names to functions: one object of a module.
type Functions map[string]Function

// Module holds the functions of the DIY integration or of one connector.
//
// Framework 2.0 stacks call functions by name at the top level (Functions);
// framework 1.0 stacks send a type that selects a category: "hook" → Hooks,
// "wrapper" → Wrappers, "setting" → Settings, "utility" → Utilities,
// "installer" → Installer, "uninstaller" → Uninstaller. Any other type, and
// the plural forms, select the category of that exact name (the named fields
// for "hooks", "wrappers", "settings", "utilities", else Categories).
// A module may fill both layouts to serve stacks of either framework.
type Module struct {
	Functions   Functions
	Hooks       Functions
	Wrappers    Functions
	Installer   Functions
	Uninstaller Functions
	Settings    Functions
	Utilities   Functions
	Categories  map[string]Functions
}

// object returns the category a framework-1.0 type selects, or nil.
func (m *Module) object(typ string) Functions {
	switch typ {
	case "hook", "hooks":
		return m.Hooks
	case "wrapper", "wrappers":
		return m.Wrappers
	case "setting", "settings":
		return m.Settings
	case "utility", "utilities":
		return m.Utilities
	case "installer":
		return m.Installer
	case "uninstaller":
		return m.Uninstaller
	}
	return m.Categories[typ]
}

// Config says which modules a stack serves: exactly one of DIY or Connectors
// (by _connectorId).
type Config struct {
	DIY        *Module
	Connectors map[string]*Module
	// Logger receives the configuration and per-call log lines; nil means slog.Default().
	Logger *slog.Logger
}

// Validate checks the configuration rules of PROTOCOL §1.1 in their fixed
// order and returns the first one that fails as an *Error with that rule's
// exact code and message, or nil.
func (c *Config) Validate() error {
	switch {
	case c == nil || (c.DIY == nil && c.Connectors == nil && c.Logger == nil):
		return errp(errConfigMissing)
	case c.DIY == nil && c.Connectors == nil:
		return errp(errConfigNeither)
	case c.DIY != nil && c.Connectors != nil:
		return errp(errConfigBoth)
	case c.Connectors != nil && len(c.Connectors) == 0:
		return errp(errConfigNoConnectors)
	}
	return nil
}

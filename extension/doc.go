// Package extension is the core of Hookstack's SDK: write integrator.io
// extension functions in Go and serve them, unchanged, to integrator.io or
// the Hookstack platform, as a server stack (package extensionhttp) or an
// AWS Lambda stack (package extensionlambda). The wire contract is that of
// Celigo's Node packages integrator-extension, express-integrator-extension
// and lambda-integrator-extension, with the exact codes and messages.
//
// # Functions
//
// A function is plain Go with typed options and result, one constructor per
// kind: hooks (PreSavePage, PreMap, PostMap, PostSubmit, PostResponseMap,
// PostAggregate), wrappers (Ping, Export, Import), integration-app functions
// (FormInit, PreSave, Step, InitChild, Update, ChangeEdition) and the
// framework-1.0 connector functions (ConnectorAction, ConnectorSteps,
// PersistSettings, ConnectorFunc). Func and Action make functions of any
// other shape, and Raw receives the options as raw JSON.
//
//	hooks := extension.Functions{
//		"preSavePage": extension.PreSavePage(func(ctx context.Context, in *extension.PreSavePageOptions) (*extension.PreSavePageResult, error) {
//			return &extension.PreSavePageResult{Data: in.Data, Errors: in.Errors}, nil
//		}),
//	}
//
// Returning an *Error chooses the {code, message} the platform sees; any
// other error is reported as code "Error" with its text. A panic is reported
// as code "panic", and a function still running at the call's deadline (the
// ctx it receives) as code "timeout"; neither stops the stack.
//
// # Records
//
// Records stay raw JSON (Record) until a function asks for their content:
// a page passed through is never decoded and is sent back byte for byte.
// Record.Decode reads the fields a struct names and skips the rest without
// decoding it; Record.Set changes one member without decoding the others.
//
// # Modules and dispatch
//
// A Config holds exactly one of DIY (one Module) or Connectors (one Module per
// _connectorId). A Module holds framework-2.0 functions at the top level
// (Functions) and framework-1.0 functions in categories (Hooks, Wrappers,
// Installer, Uninstaller, Settings, Utilities, or any other name); the
// envelope's type selects the category. Extension.Call validates an
// Envelope, finds the function, runs it and checks its result exactly as
// PROTOCOL §2 describes; every failure is a *CallError with status 422.
//
// Results are encoded as JavaScript's JSON.stringify would (no HTML
// escaping, JavaScript number formatting, time.Time as toISOString), and
// their size is measured, as Node measures it, in UTF-16 code units
// against the envelope's maxResponseSize (default 5 MiB).
//
// For tests without a platform, see package extensiontest.
package extension

package extension

import (
	"context"
	"encoding/json"
)

// Common holds the options every function receives. Members the SDK does not
// know are kept in Extra and sent back if the options are encoded again.
type Common struct {
	// BearerToken is the one-time token for calling back into the platform's API.
	BearerToken         string `json:"bearerToken,omitzero"`
	IntegrationID       string `json:"_integrationId,omitzero"`
	ParentIntegrationID string `json:"_parentIntegrationId,omitzero"`
	FlowID              string `json:"_flowId,omitzero"`
	// Settings are the custom settings in scope, as JSON.
	Settings json.RawMessage `json:"settings,omitzero"`
	// TestMode is true for test runs, previews and send actions.
	TestMode bool `json:"testMode,omitzero"`
	// Extra keeps every member not named by a field.
	Extra map[string]json.RawMessage `json:",unknown"`
}

// RecordError is an error attached to a record, as hooks receive and return them.
type RecordError struct {
	Code         string                     `json:"code,omitzero"`
	Message      string                     `json:"message,omitzero"`
	Source       string                     `json:"source,omitzero"`
	RetryDataKey string                     `json:"retryDataKey,omitzero"`
	Extra        map[string]json.RawMessage `json:",unknown"`
}

// RetryData is one entry of preSavePage's retryData.
type RetryData struct {
	Data     Record                     `json:"data,omitzero"`
	Stage    string                     `json:"stage,omitzero"`
	TraceKey string                     `json:"traceKey,omitzero"`
	Extra    map[string]json.RawMessage `json:",unknown"`
}

// PreSavePageOptions are the options of a preSavePage hook (export).
type PreSavePageOptions struct {
	Common
	// Data is the page of records.
	Data   []Record      `json:"data"`
	Errors []RecordError `json:"errors,omitzero"`
	// Files holds, for file exports, the metadata of Data[i] at Files[i].
	Files        []json.RawMessage    `json:"files,omitzero"`
	RetryData    map[string]RetryData `json:"retryData,omitzero"`
	ExportID     string               `json:"_exportId,omitzero"`
	ConnectionID string               `json:"_connectionId,omitzero"`
	// PageIndex is the 0-based index of the page in the running export.
	PageIndex int `json:"pageIndex,omitzero"`
	// LastExportDateTime and CurrentExportDateTime are set for delta exports.
	LastExportDateTime    Time `json:"lastExportDateTime,omitzero"`
	CurrentExportDateTime Time `json:"currentExportDateTime,omitzero"`
	// Preview and Configuration are framework-1.0 options.
	Preview       bool            `json:"preview,omitzero"`
	Configuration json.RawMessage `json:"configuration,omitzero"`
}

// NewErrorsAndRetryData attaches new errors to a record to retry.
type NewErrorsAndRetryData struct {
	RetryData Record        `json:"retryData"`
	Errors    []RecordError `json:"errors"`
}

// PreSavePageResult is what a preSavePage hook returns. Abort stops the
// running export from producing further pages.
type PreSavePageResult struct {
	Data                  []Record                `json:"data"`
	Errors                []RecordError           `json:"errors,omitzero"`
	Abort                 bool                    `json:"abort"`
	NewErrorsAndRetryData []NewErrorsAndRetryData `json:"newErrorsAndRetryData,omitzero"`
}

// ImportHookOptions are the members shared by the import hooks.
type ImportHookOptions struct {
	Common
	ImportID      string          `json:"_importId,omitzero"`
	ConnectionID  string          `json:"_connectionId,omitzero"`
	Configuration json.RawMessage `json:"configuration,omitzero"`
}

// PreMapOptions are the options of a preMap hook.
type PreMapOptions struct {
	ImportHookOptions
	Data []Record `json:"data"`
}

// RecordResult is one element of what preMap and postMap return: Data to
// process the record, Errors to fail it (both: process and log), neither to
// ignore it. The array must have one element per record of the page.
type RecordResult struct {
	Data   Record        `json:"data,omitzero"`
	Errors []RecordError `json:"errors,omitzero"`
}

// PostMapOptions are the options of a postMap hook.
type PostMapOptions struct {
	ImportHookOptions
	PreMapData  []Record `json:"preMapData"`
	PostMapData []Record `json:"postMapData"`
}

// SubmitResponse is one record's outcome in postSubmit's responseData and
// in a wrapper import's result.
type SubmitResponse struct {
	// StatusCode is 200 (success), 422 (data error) or 401/403 (offline).
	StatusCode int           `json:"statusCode"`
	Errors     []RecordError `json:"errors,omitzero"`
	Ignored    bool          `json:"ignored,omitzero"`
	// ID is the record's id in the target application.
	ID json.RawMessage `json:"id,omitzero"`
	// JSON is the target application's full response.
	JSON    json.RawMessage            `json:"_json,omitzero"`
	DataURI string                     `json:"dataURI,omitzero"`
	Extra   map[string]json.RawMessage `json:",unknown"`
}

// PostSubmitOptions are the options of a postSubmit hook. It returns
// ResponseData, possibly edited, with its length unchanged.
type PostSubmitOptions struct {
	ImportHookOptions
	PreMapData   []Record         `json:"preMapData"`
	PostMapData  []Record         `json:"postMapData"`
	ResponseData []SubmitResponse `json:"responseData"`
}

// ResponseMapResponse is one record's outcome in postResponseMap's responseData.
type ResponseMapResponse struct {
	StatusCode int           `json:"statusCode"`
	Errors     []RecordError `json:"errors,omitzero"`
	Ignored    bool          `json:"ignored,omitzero"`
	// Data holds, for exports, the records the export returned.
	Data    []Record                   `json:"data,omitzero"`
	ID      json.RawMessage            `json:"id,omitzero"`
	JSON    json.RawMessage            `json:"_json,omitzero"`
	DataURI string                     `json:"dataURI,omitzero"`
	Extra   map[string]json.RawMessage `json:",unknown"`
}

// PostResponseMapOptions are the options of a postResponseMap hook. It
// returns PostResponseMapData, length unchanged.
type PostResponseMapOptions struct {
	Common
	PostResponseMapData []Record              `json:"postResponseMapData"`
	ResponseData        []ResponseMapResponse `json:"responseData,omitzero"`
	OneToMany           bool                  `json:"oneToMany,omitzero"`
	PathToMany          string                `json:"pathToMany,omitzero"`
	ExportID            string                `json:"_exportId,omitzero"`
	ImportID            string                `json:"_importId,omitzero"`
	ConnectionID        string                `json:"_connectionId,omitzero"`
}

// PostAggregateData describes the aggregated file.
type PostAggregateData struct {
	Success bool                       `json:"success"`
	JSON    json.RawMessage            `json:"_json,omitzero"`
	Code    string                     `json:"code,omitzero"`
	Message string                     `json:"message,omitzero"`
	Source  string                     `json:"source,omitzero"`
	Extra   map[string]json.RawMessage `json:",unknown"`
}

// PostAggregateOptions are the options of a postAggregate hook.
type PostAggregateOptions struct {
	ImportHookOptions
	PostAggregateData PostAggregateData `json:"postAggregateData"`
}

// FormInitOptions are the options of formInit (integration apps).
type FormInitOptions struct {
	Common
	Resource            json.RawMessage `json:"resource,omitzero"`
	ParentResource      json.RawMessage `json:"parentResource,omitzero"`
	GrandparentResource json.RawMessage `json:"grandparentResource,omitzero"`
	License             json.RawMessage `json:"license,omitzero"`
	ParentLicense       json.RawMessage `json:"parentLicense,omitzero"`
}

// PreSaveOptions are the options of preSave; it returns the resource to save.
type PreSaveOptions struct {
	Common
	NewResource json.RawMessage `json:"newResource,omitzero"`
	OldResource json.RawMessage `json:"oldResource,omitzero"`
}

// StepOptions are the options of an installer or uninstaller step (2.0).
type StepOptions struct {
	Common
	// FormSubmission is set for form steps.
	FormSubmission json.RawMessage `json:"formSubmission,omitzero"`
	// ConnectionID is set for connection steps.
	ConnectionID   string          `json:"_connectionId,omitzero"`
	Resource       json.RawMessage `json:"resource,omitzero"`
	ParentResource json.RawMessage `json:"parentResource,omitzero"`
	License        json.RawMessage `json:"license,omitzero"`
	ParentLicense  json.RawMessage `json:"parentLicense,omitzero"`
}

// InitChildOptions are the options of initChild.
type InitChildOptions struct {
	Common
	ParentIntegration json.RawMessage `json:"parentIntegration,omitzero"`
	ParentLicense     json.RawMessage `json:"parentLicense,omitzero"`
}

// UpdateOptions are the options of update (2.0: Resource and License).
type UpdateOptions struct {
	Common
	Resource json.RawMessage `json:"resource,omitzero"`
	License  json.RawMessage `json:"license,omitzero"`
}

// ChangeEditionOptions are the options of changeEdition (2.0).
type ChangeEditionOptions struct {
	Common
	FromEdition string          `json:"fromEdition,omitzero"`
	ToEdition   string          `json:"toEdition,omitzero"`
	Integration json.RawMessage `json:"integration,omitzero"`
	License     json.RawMessage `json:"license,omitzero"`
}

// Connection is a wrapper connection as functions receive it.
type Connection struct {
	ID          string                     `json:"_id,omitzero"`
	Encrypted   json.RawMessage            `json:"encrypted,omitzero"`
	Unencrypted json.RawMessage            `json:"unencrypted,omitzero"`
	Extra       map[string]json.RawMessage `json:",unknown"`
}

// PingOptions are the options of a wrapper's ping function.
type PingOptions struct {
	Common
	Connection Connection `json:"connection"`
	ExportID   string     `json:"_exportId,omitzero"`
	ImportID   string     `json:"_importId,omitzero"`
}

// PingResult answers a ping: StatusCode 200 when the connection works, 401
// with Errors when it does not.
type PingResult struct {
	StatusCode int     `json:"statusCode"`
	Errors     []Error `json:"errors,omitzero"`
}

// ExportDelta, ExportOnce and ExportTest configure the export types.
type ExportDelta struct {
	DateField string `json:"dateField,omitzero"`
	// LastExecutionTime is in milliseconds since the epoch.
	LastExecutionTime int64 `json:"lastExecutionTime,omitzero"`
}

// ExportOnce configures a "once" export.
type ExportOnce struct {
	BooleanField string `json:"booleanField,omitzero"`
}

// ExportTest configures a test export.
type ExportTest struct {
	Limit int `json:"limit,omitzero"`
}

// ExportOptions are the options of a wrapper export, called once per page.
type ExportOptions struct {
	Common
	Connection Connection `json:"connection"`
	// Type is "delta", "once", "test", or empty to export everything.
	Type  string       `json:"type,omitzero"`
	Delta *ExportDelta `json:"delta,omitzero"`
	Once  *ExportOnce  `json:"once,omitzero"`
	Test  *ExportTest  `json:"test,omitzero"`
	// State is what the previous call returned as State, unchanged.
	State         json.RawMessage `json:"state,omitzero"`
	ExportID      string          `json:"_exportId,omitzero"`
	Configuration json.RawMessage `json:"configuration,omitzero"`
	// Data is set when the export runs as a lookup in a flow.
	Data []Record `json:"data,omitzero"`
}

// ExportResult is one page of a wrapper export. LastPage ends the export;
// State is handed to the next call; ConnectionOffline takes the connection
// offline and stops the export.
type ExportResult struct {
	ConnectionOffline bool     `json:"connectionOffline,omitzero"`
	Data              []Record `json:"data"`
	Errors            []Error  `json:"errors,omitzero"`
	LastPage          bool     `json:"lastPage"`
	State             any      `json:"state,omitzero"`
}

// ImportOptions are the options of a wrapper import; it returns one
// SubmitResponse per record.
type ImportOptions struct {
	Common
	Connection    Connection      `json:"connection"`
	PreMapData    []Record        `json:"preMapData"`
	PostMapData   []Record        `json:"postMapData"`
	ImportID      string          `json:"_importId,omitzero"`
	Configuration json.RawMessage `json:"configuration,omitzero"`
}

// ConnectorOptions are the options of the framework-1.0 installer,
// uninstaller and settings functions of a connector.
type ConnectorOptions struct {
	Common
	ConnectorID string `json:"_connectorId,omitzero"`
	// Opts carries the license information and, for settings functions, the
	// field being refreshed.
	Opts json.RawMessage `json:"opts,omitzero"`
	// Pending holds the changed settings (persistSettings).
	Pending json.RawMessage `json:"pending,omitzero"`
	// Version is sent to getMappingMetadata.
	Version json.RawMessage `json:"version,omitzero"`
}

// StepsResult is returned by integrationInstallerFunction,
// preUninstallFunction and integrationUninstallerFunction (framework 1.0).
type StepsResult struct {
	Success       bool              `json:"success"`
	StepsToUpdate []json.RawMessage `json:"stepsToUpdate,omitzero"`
}

// PersistSettingsResult is returned by settings.persistSettings (framework 1.0).
type PersistSettingsResult struct {
	Success bool            `json:"success"`
	Pending json.RawMessage `json:"pending,omitzero"`
}

// PreSavePage makes a preSavePage hook: it may add, drop or change the
// records of an exported page before they are saved.
func PreSavePage(fn func(context.Context, *PreSavePageOptions) (*PreSavePageResult, error)) Function {
	return Func(fn)
}

// PreMap makes a preMap hook; it returns one RecordResult per record.
func PreMap(fn func(context.Context, *PreMapOptions) ([]RecordResult, error)) Function {
	return Func(fn)
}

// PostMap makes a postMap hook; it returns one RecordResult per record of PostMapData.
func PostMap(fn func(context.Context, *PostMapOptions) ([]RecordResult, error)) Function {
	return Func(fn)
}

// PostSubmit makes a postSubmit hook; it returns ResponseData, same length.
func PostSubmit(fn func(context.Context, *PostSubmitOptions) ([]SubmitResponse, error)) Function {
	return Func(fn)
}

// PostResponseMap makes a postResponseMap hook; it returns
// PostResponseMapData, same length.
func PostResponseMap(fn func(context.Context, *PostResponseMapOptions) ([]Record, error)) Function {
	return Func(fn)
}

// PostAggregate makes a postAggregate hook; it returns nothing.
func PostAggregate(fn func(context.Context, *PostAggregateOptions) error) Function {
	return Action(fn)
}

// FormInit makes a formInit function; it returns the form to render.
func FormInit(fn func(context.Context, *FormInitOptions) (any, error)) Function {
	return Func(fn)
}

// PreSave makes a preSave function; it returns the resource to save.
func PreSave(fn func(context.Context, *PreSaveOptions) (any, error)) Function {
	return Func(fn)
}

// Step makes an installer or uninstaller step (framework 2.0).
func Step(fn func(context.Context, *StepOptions) error) Function {
	return Action(fn)
}

// InitChild makes an initChild function; it may return the child integration.
func InitChild(fn func(context.Context, *InitChildOptions) (any, error)) Function {
	return Func(fn)
}

// Update makes an update function (framework 2.0).
func Update(fn func(context.Context, *UpdateOptions) error) Function {
	return Action(fn)
}

// ChangeEdition makes a changeEdition function (framework 2.0).
func ChangeEdition(fn func(context.Context, *ChangeEditionOptions) error) Function {
	return Action(fn)
}

// Ping makes a wrapper ping function.
func Ping(fn func(context.Context, *PingOptions) (*PingResult, error)) Function {
	return Func(fn)
}

// Export makes a wrapper export function, called once per page.
func Export(fn func(context.Context, *ExportOptions) (*ExportResult, error)) Function {
	return Func(fn)
}

// Import makes a wrapper import function.
func Import(fn func(context.Context, *ImportOptions) ([]SubmitResponse, error)) Function {
	return Func(fn)
}

// ConnectorAction makes a framework-1.0 connector function that returns
// nothing: installer.connectorInstallerFunction, installer.updateFunction,
// uninstaller.connectorUninstallerFunction, settings.changeEdition.
func ConnectorAction(fn func(context.Context, *ConnectorOptions) error) Function {
	return Action(fn)
}

// ConnectorSteps makes a framework-1.0 function returning steps to update:
// installer.integrationInstallerFunction, uninstaller.preUninstallFunction,
// uninstaller.integrationUninstallerFunction.
func ConnectorSteps(fn func(context.Context, *ConnectorOptions) (*StepsResult, error)) Function {
	return Func(fn)
}

// PersistSettings makes settings.persistSettings (framework 1.0).
func PersistSettings(fn func(context.Context, *ConnectorOptions) (*PersistSettingsResult, error)) Function {
	return Func(fn)
}

// ConnectorFunc makes a framework-1.0 settings function that returns any
// value: settings.refreshMetadata, settings.getMappingMetadata.
func ConnectorFunc(fn func(context.Context, *ConnectorOptions) (any, error)) Function {
	return Func(fn)
}

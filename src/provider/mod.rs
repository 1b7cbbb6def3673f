//! The provider: how grill speaks to an OpenAI-compatible server. The
//! ask-and-re-ask loop (`ask`), the client (`openai`) and its format ladder
//! (`format`) over the retrying HTTP path (`http`) and its rate limits
//! (`limit`), streamed replies read as they come (`stream`), model profiles
//! and what servers taught (`profile`), retirements (`retire`), and the
//! Batch API (`batch_api`, `batch_status`). It imports the verdict to parse
//! and check replies; nothing in `verdict` imports it back.

pub mod ask;
pub mod batch_api;
pub mod batch_status;
pub mod format;
mod http;
pub mod limit;
pub mod openai;
pub mod profile;
pub mod retire;
mod stream;
pub mod transcribe;

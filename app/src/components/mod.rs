pub mod errors;
pub mod guard;
pub mod layout;
pub mod panels;
pub mod poll;
pub mod time;

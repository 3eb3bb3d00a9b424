//! Pure logic shared by browser and server: no I/O.

pub mod validate;

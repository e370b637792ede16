//! A private PostgreSQL cluster started from the installed server binaries.

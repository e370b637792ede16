//! Suggestions and moderation.

//! Examples and integration tests of the cnn workspace.

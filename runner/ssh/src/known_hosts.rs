//! Host key verification against OpenSSH `known_hosts` files.

"""Each assignment's own API, under the names its questions use, as thin layers over the core."""

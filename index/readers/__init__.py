"""One reader per file format: bytes in, `Extracted` (text, markup kind, file metadata) out.

Every reader raises `DocumentUnreadable` with a German one-line reason for input it cannot use;
`index.load.load_file` turns anything else a parser throws into the same.
"""

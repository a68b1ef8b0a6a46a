"""AWS resource tags -> one JSON object per row, vectorized.

Legacy CUR has one column per tag key (`resourceTags/user:Env`, Athena `resource_tags_user_env`),
and the set changes month to month; CUR 2.0 has one MAP column `resource_tags`.
User tags keep their bare key (as in FOCUS `Tags`); AWS-generated ones keep `aws:`.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from costs.ingest.convert import json_escape

NULL_TEXT = pa.scalar(None, pa.string())


def tag_key(header: str) -> str | None:
    """Tag key of a legacy tag column, or None when the column is not a tag column.

    The prefix is matched ignoring case (a tool may have lower-cased the header); the key keeps
    its case, since AWS tag keys are case-sensitive (`user:Env` and `user:env` are two tags).
    """
    lowered = header.lower()
    if lowered.startswith("resourcetags/"):
        key = header[len("resourceTags/") :]
        return key[len("user:") :] if key.lower().startswith("user:") else key
    if lowered.startswith("resource_tags_"):
        key = header[len("resource_tags_") :]
        if key.lower().startswith("user_"):
            return key[len("user_") :]
        if key.lower().startswith("aws_"):
            return "aws:" + key[len("aws_") :]
        return key
    return None


def tags_from_columns(columns: dict[str, pa.Array], n: int) -> pa.Array:
    """{key: column} -> JSON object text per row; rows without any tag get NULL."""
    if not columns:
        return pa.nulls(n, pa.string())
    # Each present tag becomes ',"key":"value"' and absent ones ''; joining with '' and dropping
    # the first comma avoids null-skipping joins (Arrow 26 returns a short array for an
    # all-null input there).
    fragments = []
    for key, values in columns.items():
        if not pa.types.is_string(values.type):
            values = pc.cast(values, pa.string())
        prefix = ',"' + key.replace("\\", "\\\\").replace('"', '\\"') + '":"'
        fragment = pc.binary_join_element_wise(prefix, json_escape(values), '"', "")
        present = pc.fill_null(pc.not_equal(values, ""), False)
        fragments.append(pc.if_else(present, fragment, ""))
    joined = fragments[0] if len(fragments) == 1 else pc.binary_join_element_wise(*fragments, "")
    joined = pc.utf8_slice_codeunits(joined, 1)
    return _wrap(joined)


def tags_from_map(values: pa.Array) -> pa.Array:
    """CUR 2.0 `resource_tags` MAP<string,string> -> JSON object text per row."""
    n = len(values)
    if pa.types.is_null(values.type):
        return pa.nulls(n, pa.string())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if values.offset:
        values = pa.concat_arrays([values])  # rebased copy: offsets and children start at 0
    offsets = values.offsets
    lengths = pc.subtract(offsets[1:], offsets[:-1])
    keys = pc.replace_substring_regex(values.keys, "^user_", "")
    keys = pc.replace_substring_regex(keys, "^aws_", "aws:")
    items = pc.fill_null(pc.cast(values.items, pa.string()), "")
    fragments = pc.binary_join_element_wise('"', json_escape(keys), '":"', json_escape(items), '"', "")
    lists = pa.ListArray.from_arrays(offsets, fragments)
    joined = pc.binary_join(lists, ",")
    joined = pc.if_else(pc.equal(lengths, 0), NULL_TEXT, joined)
    return _wrap(joined)


def _wrap(joined: pa.Array) -> pa.Array:
    wrapped = pc.binary_join_element_wise("{", joined, "}", "")
    empty = pc.fill_null(pc.equal(joined, ""), True)
    return pc.if_else(empty, NULL_TEXT, wrapped)

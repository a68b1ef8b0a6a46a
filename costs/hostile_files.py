"""Report files made in code for the tests and `make bench`: hostile ones, small on disk, and a large valid one.

- a gzip CSV whose first line never ends (a few MB that inflate to gigabytes of `a,a,a,...`);
- a FOCUS Parquet file whose ResourceId is dictionary-encoded over millions of rows with one
  large value (kilobytes on disk, terabytes once read naively);
- a valid FOCUS CSV.gz of a given expanded size, with its exact billed total.
Nothing here is read back; the ingest under test does that.
"""

from __future__ import annotations

import datetime
import gzip
import zlib
from decimal import Decimal
from typing import BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

FOCUS_HEADER = (
    "BillingAccountId,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,"
    "ChargeCategory,ProviderName,ServiceName,RegionId,SubAccountId,ResourceId,BilledCost,EffectiveCost,ListCost,"
    "ContractedCost,PricingQuantity,PricingUnit"
)


def gzip_long_line_bomb(out: BinaryIO, *, expanded_bytes: int, prefix: bytes = b"BilledCost,") -> None:
    """`BilledCost,a,a,a,...` without a single newline, gzip-compressed (about 1000:1).

    With a `prefix` that ends in a header line, it is the second line that never ends.
    """
    chunk = b"a," * (1 << 19)  # 1 MiB
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip container
    out.write(compressor.compress(prefix))
    written = 0
    while written < expanded_bytes:
        out.write(compressor.compress(chunk))
        written += len(chunk)
    out.write(compressor.flush())


def parquet_dictionary_bomb(out: BinaryIO, *, rows: int, value_bytes: int) -> None:
    """A FOCUS file whose ResourceId holds one `value_bytes` value on every one of `rows` rows.

    Every column is dictionary-encoded with a single value, so the file is a few KB whatever
    `rows` is; read as plain text, ResourceId alone is rows x value_bytes.
    """
    indices = pa.array([0] * rows, pa.int32())

    def constant(value: str) -> pa.DictionaryArray:
        return pa.DictionaryArray.from_arrays(indices, pa.array([value]))

    columns = {
        "BillingAccountId": constant("111122223333"),
        "BillingCurrency": constant("USD"),
        "BillingPeriodStart": constant("2025-03-01T00:00:00Z"),
        "ChargePeriodStart": constant("2025-03-01T00:00:00Z"),
        "ChargeCategory": constant("Usage"),
        "BilledCost": constant("1.00"),
        "EffectiveCost": constant("1.00"),
        "ResourceId": constant("r" * value_bytes),
    }
    pq.write_table(pa.table(columns), out, compression="zstd", row_group_size=rows)


def valid_focus_csv_gz(out: BinaryIO, *, expanded_bytes: int, start: datetime.date = datetime.date(2025, 3, 1)) -> dict:
    """A valid FOCUS CSV.gz of about `expanded_bytes` of text -> {"rows", "billed_cost" (Decimal)}.

    Rows vary (day, service, region, account, resource, cost) so nothing compresses away.
    """
    services = ["Amazon Elastic Compute Cloud", "Amazon Simple Storage Service", "AWS Lambda", "Amazon RDS"]
    regions = ["us-east-1", "eu-west-1", "ap-southeast-2"]
    period_start = start.replace(day=1)
    period_end = (period_start + datetime.timedelta(days=32)).replace(day=1)
    days = (period_end - period_start).days
    rows = 0
    ten_thousandths = 0
    written = 0
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=1) as stream:
        header = (FOCUS_HEADER + "\n").encode()
        stream.write(header)
        written += len(header)
        while written < expanded_bytes:
            lines = []
            for _ in range(10_000):
                day = period_start + datetime.timedelta(days=rows % days)
                cost = 1 + (rows * 7919) % 100_000  # in 1/10000 of a dollar
                ten_thousandths += cost
                amount = f"{cost // 10000}.{cost % 10000:04d}"
                lines.append(
                    f"111122223333,USD,{period_start}T00:00:00Z,{period_end}T00:00:00Z,{day}T00:00:00Z,"
                    f"{day + datetime.timedelta(days=1)}T00:00:00Z,Usage,AWS,{services[rows % 4]},{regions[rows % 3]},"
                    f"{400000000000 + rows % 50},arn:aws:ec2:{regions[rows % 3]}:1:instance/i-{rows:016x},"
                    f"{amount},{amount},{amount},{amount},24,Hours\n"
                )
                rows += 1
            block = "".join(lines).encode()
            stream.write(block)
            written += len(block)
    return {"rows": rows, "billed_cost": Decimal(ten_thousandths) / 10000}

"""FOCUS 1.2 exports of a billing period: the file (`file`), the job (`services`), reads for pages
and the API (`selectors`), and the scoped lookup (`access`)."""

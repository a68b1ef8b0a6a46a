# Jobs record their report format. Jobs that exist already get "" (not recorded), so their
# queued tasks' format argument still counts; new jobs default to "auto".

from django.db import migrations, models

CHOICES = [("auto", "Detect automatically"), ("cur2", "CUR 2.0"), ("cur_legacy", "Legacy CUR"), ("focus", "FOCUS")]


class Migration(migrations.Migration):
    dependencies = [
        ("costs", "0004_explorer_summaries"),
    ]

    operations = [
        migrations.AddField(
            model_name="ingestionjob",
            name="format",
            field=models.CharField(blank=True, choices=CHOICES, default="", max_length=20),
        ),
        migrations.AlterField(
            model_name="ingestionjob",
            name="format",
            field=models.CharField(blank=True, choices=CHOICES, default="auto", max_length=20),
        ),
    ]

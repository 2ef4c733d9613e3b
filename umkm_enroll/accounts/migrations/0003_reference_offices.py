"""The ministry and BPJAMSOSTEK's 11 regional offices (kantor wilayah): reference data every deployment needs.

Branches (about 300) and Diskop offices are entered by administrators; `seed_demo` adds those of NTB,
Sulawesi Utara, Sulawesi Tenggara and Kota Mojokerto for trying the system.
"""

from django.db import migrations

MINISTRY = "Kementerian Koperasi dan UKM (Pusat)"
REGIONAL_OFFICES = [
    "BPJAMSOSTEK Kantor Wilayah Sumbagut",
    "BPJAMSOSTEK Kantor Wilayah Sumbar Riau",
    "BPJAMSOSTEK Kantor Wilayah Sumbagsel",
    "BPJAMSOSTEK Kantor Wilayah DKI Jakarta",
    "BPJAMSOSTEK Kantor Wilayah Banten",
    "BPJAMSOSTEK Kantor Wilayah Jawa Barat",
    "BPJAMSOSTEK Kantor Wilayah Jawa Tengah dan DIY",
    "BPJAMSOSTEK Kantor Wilayah Jawa Timur",
    "BPJAMSOSTEK Kantor Wilayah Kalimantan",
    "BPJAMSOSTEK Kantor Wilayah Sulawesi Maluku",
    "BPJAMSOSTEK Kantor Wilayah Bali Nusa Tenggara Papua",
]


def forward(apps, schema_editor):
    office = apps.get_model("accounts", "Office")
    office.objects.get_or_create(name=MINISTRY, defaults={"kind": "ministry"})
    for name in REGIONAL_OFFICES:
        office.objects.get_or_create(name=name, defaults={"kind": "bpjs_regional"})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_offices_and_roles")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]

"""Demo 110 incidents, imported the way an officer would: a dispatch export run through
incidents/importing.py. A stairwell camera that brought three calls in two months shows on the
radar and the repeat list; a few one-off calls fill the list. Idempotent (the incident number
is the key)."""

import tempfile
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from grids.models import PoliceGrid, Street

from . import importing

HEADER = "警情编号,报警时间,报警人,联系电话,事发地址,警情类别,简要警情,责任区,处理结果"
# (number, days ago, caller, phone, address, kind, summary, result)
CALLS = [
    ("J-DEMO-0001", 61, "王建国", "13812345678", "栖凤路88号3幢2单元501室", "纠纷", "对门安装摄像头对着自家门口，双方争吵", "当场劝解"),
    ("J-DEMO-0002", 33, "王建国", "13812345678", "栖凤路８８号三栋二单元", "纠纷", "摄像头问题再次争吵", "当场劝解"),
    ("J-DEMO-0003", 2, "李秀英", "13987654321", "栖凤路88号3栋2单元602", "纠纷", "摄像头纠纷升级，双方推搡", "带回调解"),
    ("J-DEMO-0004", 5, "赵敏", "13700001111", "栖凤社区12幢1单元301室", "纠纷", "楼上噪音扰民，夜间多次敲击", "当场劝解"),
    ("J-DEMO-0005", 1, "孙强", "13600002222", "凤鸣路20号沿街商铺", "纠纷", "商铺装修截断共用排污管，污水外溢", "已告知报修"),
]


def build_incidents(*, street: Street) -> int:
    """Import the demo calls for the street's first police grid; returns how many were new."""
    police_grids = PoliceGrid.objects.filter(links__community_grid__community__street=street).distinct()
    first = police_grids.order_by("code").first()
    if first is None:
        return 0
    now = timezone.localtime()
    lines = [HEADER] + [
        f"{number},{now - timedelta(days=days):%Y-%m-%d %H:%M},{who},{phone},{address},{kind},{summary},"
        f"{first.code},{result}"
        for number, days, who, phone, address, kind, summary, result in CALLS]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo-110.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
        report = importing.import_file(path, police_grids=police_grids)
    return report.new

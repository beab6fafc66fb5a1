"""The words of the shared controls (the report form, the map panel, the case timeline), zh-CN first, then English.

Each app merges this catalogue into its own (citizen_app/strings.py, grid_app/strings.py), so
one translator serves its screens and the shared controls alike."""

from __future__ import annotations

REPORT_STRINGS: dict[str, tuple[str, str]] = {
    "report.photos": ("照片（选填，最多 {n} 张）", "Photos (optional, up to {n})"),
    "report.add_photo": ("拍照/选图", "Take or choose photo"),
    "report.remove_photo": ("删除照片", "Remove photo"),
    "report.photo_processing": ("处理中", "Processing"),
    "report.location": ("位置", "Location"),
    "report.landmark": ("地标/位置说明", "Landmark"),
    "report.landmark_hint": ("如 3号楼东侧", "e.g. east side of building 3"),
    "report.locating": ("正在定位…", "Finding your location…"),
    "report.locate": ("重新定位", "Locate me"),
    "report.no_location": ("无法获取位置，请在地图上点选", "Location not available: tap the map to place the pin"),
    "report.map_hint": ("点按地图可调整位置", "Tap the map to move the pin"),
    "report.address": ("地址", "Address"),
    "map.zoom_in": ("放大地图", "Zoom in"),
    "map.zoom_out": ("缩小地图", "Zoom out"),
    "report.outside": ("不在任何网格内", "Outside every grid"),
    "report.description": ("问题描述", "What is the problem?"),
    "report.category": ("问题类别", "Category"),
    "report.category_search": ("搜索类别", "Search categories"),
    "report.suggested": ("推荐类别", "Suggested"),
    "report.choose_category": ("选择类别", "Choose a category"),
    "report.submit": ("提交", "Submit"),
    "report.submitting": ("正在上传照片并提交…", "Uploading photos and submitting…"),
    "report.sent": ("已提交，我们会尽快处理", "Sent. We will handle it soon."),
    "report.queued": ("网络不通，已保存，将自动发送", "No connection: saved, it will be sent automatically."),
    "report.nearby_title": ("附近已有相同问题", "The same problem is already reported nearby"),
    "report.nearby_body": ("{n} 件同类问题在 50 米内正在处理，您可以关注它而不必重复上报。",
                           "{n} open case(s) of this kind within 50 m. You can follow one instead of reporting again."),
    "report.follow": ("关注此案件", "Follow this case"),
    "report.yours": ("这是您自己的上报", "This is your own report"),
    "report.open_yours": ("查看我的上报", "Open my report"),
    "report.followed": ("已关注，进展会通知您", "Following: you will be told of progress."),
    "report.new_anyway": ("仍然新建上报", "Report it anyway"),
    "report.resident_name": ("居民姓名", "Resident's name"),
    "report.resident_phone": ("居民电话", "Resident's phone"),
    "report.on_behalf": ("代居民上报", "Reporting for a resident"),
    "report.meters": ("{m} 米", "{m} m"),
}

TIMELINE_STRINGS: dict[str, tuple[str, str]] = {
    "timeline.total": ("共用时 {d}", "Total {d}"),
    "timeline.since_prev": ("距上一步 {d}", "{d} after the previous step"),
    "timeline.photos_added": ("已添加 {n} 张照片", "{n} photo(s) added"),
}

SHARED_STRINGS: dict[str, tuple[str, str]] = {**REPORT_STRINGS, **TIMELINE_STRINGS}  # what each app merges

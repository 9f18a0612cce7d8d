#!/usr/bin/env python3
"""Generates the sample portal's pages, attachments and the Rust manifest.

Run from the repository root:  python3 crates/portal/site/gen.py
Writes crates/portal/site/{city,county,bureau,flaky}/..., crates/portal/site/reports.json
(the expected reports) and crates/portal/src/site_files.rs (the include_bytes! manifest).
Only the standard library is used; the output is deterministic.
"""
import io
import json
import os
import re
import zipfile

ROOT = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(ROOT, "..", "..", ".."))
FIX = os.path.join(REPO, "tests", "fixtures", "reports")

COLS = ["natural_person", "commercial", "research", "social_welfare", "legal_service", "other", "total"]

# ---------------------------------------------------------------- values

def fixture(prefix):
    for name in sorted(os.listdir(os.path.join(FIX, "expected"))):
        if name.startswith(prefix) and name.endswith(".json"):
            with open(os.path.join(FIX, "expected", name), encoding="utf-8") as f:
                exp = json.load(f)
            with open(os.path.join(FIX, name[:-5] + ".txt"), encoding="utf-8") as f:
                txt = f.read()
            return exp, txt
    raise SystemExit("fixture %s missing" % prefix)


ROWS21 = ["new_received", "carried_over", "granted", "partially_granted",
          "denied_state_secret", "denied_prohibited_by_law", "denied_three_safeties",
          "denied_third_party", "denied_internal_affairs", "denied_process_info",
          "denied_enforcement_file", "denied_query_matter", "unavailable_not_held",
          "unavailable_needs_creation", "unavailable_unclear", "not_processed_petition",
          "not_processed_duplicate", "not_processed_publication", "not_processed_excessive",
          "not_processed_confirmation", "other_no_correction", "other_unpaid_fee", "other_other",
          "total_processed", "carried_forward"]
ROWS19 = ROWS21[:20] + ["other_processing"] + ROWS21[23:]
RESULT21 = ROWS21[2:23]
RESULT19 = ROWS19[2:21]


def applications(template, blank_orgs=False, **rows):
    """Rows given as {key: [natural, commercial, ..]} (6 applicant values); totals computed.
    blank_orgs leaves the five organisation columns blank (None), as many agencies print them."""
    keys = ROWS21 if template == "2021" else ROWS19
    out = {}
    for k in keys:
        if k in ("total_processed",):
            continue
        six = rows.get(k, [0] * 6)
        out[k] = six + [sum(six)]
    results = RESULT21 if template == "2021" else RESULT19
    out["total_processed"] = [sum(out[r][i] for r in results) for i in range(7)]
    for i in range(7):
        assert out["new_received"][i] + out["carried_over"][i] == out["total_processed"][i] + out["carried_forward"][i], (rows, i)
    if blank_orgs:
        for k in keys:
            assert not any(out[k][1:6]), k
            out[k][1:6] = [None] * 5
    return {k: out[k] for k in keys}


def review(rv=(0, 0, 0, 0), ld=(0, 0, 0, 0), la=(0, 0, 0, 0)):
    def g(t):
        return {"upheld": t[0], "corrected": t[1], "other": t[2], "pending": t[3], "total": sum(t)}
    return {"review": g(rv), "litigation_direct": g(ld), "litigation_after_review": g(la)}


def ad21(rules=(0, 0, 0), norm=(0, 0, 0), lic=0, pen=0, enf=0, fees=0):
    return {"rules": dict(zip(["issued", "repealed", "in_force"], rules)),
            "normative_documents": dict(zip(["issued", "repealed", "in_force"], norm)),
            "licensing": {"decisions": lic}, "penalty": {"decisions": pen},
            "enforcement": {"decisions": enf}, "fees": {"amount_10k_yuan": fees}}


def ad19(rules=(0, 0, 0), norm=(0, 0, 0), lic=(0, 0, 0), svc=(0, 0, 0), pen=(0, 0, 0), enf=(0, 0, 0), fees=(0, 0), proc=(0, "0元")):
    t3 = lambda t: dict(zip(["previous_count", "change", "decisions"], t))
    return {"rules": dict(zip(["made", "published", "total_public"], rules)),
            "normative_documents": dict(zip(["made", "published", "total_public"], norm)),
            "licensing": t3(lic), "other_services": t3(svc), "penalty": t3(pen), "enforcement": t3(enf),
            "fees": {"previous_count": fees[0], "change": fees[1]},
            "procurement": {"projects": proc[0], "amount": proc[1]}}


# ---------------------------------------------------------------- tables

def cell(text, colspan=1, rowspan=1):
    return (str(text), colspan, rowspan)


def num(v):
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def table_part2(t, ad):
    rows = []
    if t == "2021":
        rows.append([cell("第二十条第（一）项", 4)])
        rows.append([cell("信息内容"), cell("本年制发件数"), cell("本年废止件数"), cell("现行有效件数")])
        for key, label in (("rules", "规章"), ("normative_documents", "行政规范性文件")):
            v = ad[key]
            rows.append([cell(label), cell(num(v["issued"])), cell(num(v["repealed"])), cell(num(v["in_force"]))])
        for item, entries in (("第二十条第（五）项", [("licensing", "行政许可")]),
                              ("第二十条第（六）项", [("penalty", "行政处罚"), ("enforcement", "行政强制")])):
            rows.append([cell(item, 4)])
            rows.append([cell("信息内容"), cell("本年处理决定数量", 3)])
            for key, label in entries:
                rows.append([cell(label), cell(num(ad[key]["decisions"]), 3)])
        rows.append([cell("第二十条第（八）项", 4)])
        rows.append([cell("信息内容"), cell("本年收费金额（单位：万元）", 3)])
        rows.append([cell("行政事业性收费"), cell(num(ad["fees"]["amount_10k_yuan"]), 3)])
    else:
        rows.append([cell("第二十条第（一）项", 4)])
        rows.append([cell("信息内容"), cell("本年新制作数量"), cell("本年新公开数量"), cell("对外公开总数量")])
        for key, label in (("rules", "规章"), ("normative_documents", "规范性文件")):
            v = ad[key]
            rows.append([cell(label), cell(num(v["made"])), cell(num(v["published"])), cell(num(v["total_public"]))])
        for item, entries in (("第二十条第（五）项", [("licensing", "行政许可"), ("other_services", "其他对外管理服务事项")]),
                              ("第二十条第（六）项", [("penalty", "行政处罚"), ("enforcement", "行政强制")])):
            rows.append([cell(item, 4)])
            rows.append([cell("信息内容"), cell("上一年项目数量"), cell("本年增/减"), cell("处理决定数量")])
            for key, label in entries:
                v = ad[key]
                rows.append([cell(label), cell(num(v["previous_count"])), cell(num(v["change"])), cell(num(v["decisions"]))])
        rows.append([cell("第二十条第（八）项", 4)])
        rows.append([cell("信息内容"), cell("上一年项目数量"), cell("本年增/减", 2)])
        rows.append([cell("行政事业性收费"), cell(num(ad["fees"]["previous_count"])), cell(num(ad["fees"]["change"]), 2)])
        rows.append([cell("第二十条第（九）项", 4)])
        rows.append([cell("信息内容"), cell("采购项目数量"), cell("采购总金额", 2)])
        rows.append([cell("政府集中采购"), cell(num(ad["procurement"]["projects"])), cell(ad["procurement"]["amount"], 2)])
    return rows


LABELS = {
    "denied_state_secret": "1.属于国家秘密", "denied_prohibited_by_law": "2.其他法律行政法规禁止公开",
    "denied_three_safeties": "3.危及“三安全一稳定”", "denied_third_party": "4.保护第三方合法权益",
    "denied_internal_affairs": "5.属于三类内部事务信息", "denied_process_info": "6.属于四类过程性信息",
    "denied_enforcement_file": "7.属于行政执法案卷", "denied_query_matter": "8.属于行政查询事项",
    "unavailable_not_held": "1.本机关不掌握相关政府信息", "unavailable_needs_creation": "2.没有现成信息需要另行制作",
    "unavailable_unclear": "3.补正后申请内容仍不明确", "not_processed_petition": "1.信访举报投诉类申请",
    "not_processed_duplicate": "2.重复申请", "not_processed_publication": "3.要求提供公开出版物",
    "not_processed_excessive": "4.无正当理由大量反复申请",
    "not_processed_confirmation": "5.要求行政机关确认或重新出具已获取信息",
    "other_no_correction": "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "other_unpaid_fee": "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "other_other": "3.其他",
}
GROUPS = {"denied_state_secret": ("（三）不予公开", 8), "unavailable_not_held": ("（四）无法提供", 3),
          "not_processed_petition": ("（五）不予处理", 5), "other_no_correction": ("（六）其他处理", 3)}


def table_part3(t, ap):
    vals = lambda k: [cell(num(v)) for v in ap[k]]
    rows = [
        [cell("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 3), cell("申请人情况", 7)],
        [cell("自然人", 1, 2), cell("法人或其他组织", 5), cell("总计", 1, 2)],
        [cell("商业企业"), cell("科研机构"), cell("社会公益组织"), cell("法律服务机构"), cell("其他")],
        [cell("一、本年新收政府信息公开申请数量", 3)] + vals("new_received"),
        [cell("二、上年结转政府信息公开申请数量", 3)] + vals("carried_over"),
    ]
    results = RESULT21 if t == "2021" else RESULT19
    for i, k in enumerate(results):
        row = []
        if i == 0:
            row.append(cell("三、本年度办理结果", 1, len(results) + 1))
        if k == "granted":
            row.append(cell("（一）予以公开", 2))
        elif k == "partially_granted":
            row.append(cell("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", 2))
        elif k == "other_processing":
            row.append(cell("（六）其他处理", 2))
        else:
            if k in GROUPS:
                label, span = GROUPS[k]
                row.append(cell(label, 1, span))
            row.append(cell(LABELS[k]))
        rows.append(row + vals(k))
    rows.append([cell("（七）总计", 2)] + vals("total_processed"))
    rows.append([cell("四、结转下年度继续办理", 3)] + vals("carried_forward"))
    return rows


def table_part4(rl):
    """National layout: 行政复议's five headers span two header rows; the
    litigation groups' ten headers sit on the third row."""
    heads = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    keys = ["upheld", "corrected", "other", "pending", "total"]
    values = []
    for g in ("review", "litigation_direct", "litigation_after_review"):
        values += [cell(num(rl[g][k])) for k in keys]
    return [
        [cell("行政复议", 5), cell("行政诉讼", 10)],
        [cell(h, 1, 2) for h in heads] + [cell("未经复议直接起诉", 5), cell("复议后起诉", 5)],
        [cell(h) for h in heads * 2],
        values,
    ]


def html_table(rows, attrs='border="1" cellspacing="0" cellpadding="0" width="100%" class="nb-table"'):
    out = ["<table %s>" % attrs, "<tbody>"]
    for r in rows:
        tds = []
        for text, cs, rs in r:
            a = ""
            if cs > 1:
                a += ' colspan="%d"' % cs
            if rs > 1:
                a += ' rowspan="%d"' % rs
            body = text if text != "" else "&nbsp;"
            tds.append('<td%s><p style="text-align:center">%s</p></td>' % (a, body))
        out.append("<tr>" + "".join(tds) + "</tr>")
    out += ["</tbody>", "</table>"]
    return "\n".join(out)


# ---------------------------------------------------------------- reports

def prose_from_fixture(txt):
    lines = [l.strip().lstrip("#").strip() for l in txt.splitlines()]
    before, after, mode = [], [], "before"
    for l in lines:
        if not l or l.startswith("[bookmark") or re.fullmatch(r"\d+", l):
            continue
        if l.startswith("- ") and ("发布" in l or "编辑" in l or "来源" in l):
            continue
        if mode == "before" and l.startswith("二、主动公开"):
            mode = "tables"
            continue
        if mode == "tables" and re.match(r"五、", l):
            mode = "after"
        if mode == "before":
            before.append(l)
        elif mode == "after":
            after.append(l)
    # Title lines at the top are rendered by the page itself.
    while before and ("报告" in before[0] and "一、" not in before[0] or before[0].endswith("年") or before[0].endswith("年度")):
        before.pop(0)
    # A signature block at the end is rendered by the page.
    while after and (re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", after[-1]) or after[-1].endswith("办公室") and len(after[-1]) < 20):
        after.pop()
    return before, after


def generic_prose(agency, year):
    before = [
        "一、总体情况",
        "%d年，%s深入贯彻落实《中华人民共和国政府信息公开条例》，坚持以公开为常态、不公开为例外，围绕年度政务公开工作要点，持续推进决策、执行、管理、服务、结果公开。" % (year, agency),
        "（一）主动公开情况。全年通过政府网站主动公开各类政府信息%d条，及时发布政策文件、工作动态和公示公告。" % (300 + year % 100 * 17),
        "（二）依申请公开情况。严格按照法定时限和程序办理政府信息公开申请，答复规范。",
        "（三）政府信息管理情况。落实信息发布“三审三校”制度，加强保密审查。",
        "（四）平台建设情况。持续完善政府信息公开专栏，优化栏目设置。",
        "（五）监督保障情况。将政务公开工作纳入年度绩效考核，开展业务培训。",
    ]
    after = [
        "五、存在的主要问题及改进情况",
        "存在的主要问题：政策解读形式还不够丰富，信息公开的及时性有待进一步提高。改进措施：加强业务培训，丰富解读形式，提升公开质量。",
        "六、其他需要报告的事项",
        "本年度未收取政府信息公开处理费。",
    ]
    return before, after


def report_body_html(r):
    before, after = r["prose"]
    parts = []
    for l in before:
        tag = "h3" if re.match(r"[一二三四五六]、", l) else "p"
        parts.append("<%s>%s</%s>" % (tag, l, tag))
    parts.append("<h3>二、主动公开政府信息情况</h3>")
    parts.append(html_table(table_part2(r["template"], r["ad"])))
    parts.append("<h3>三、收到和处理政府信息公开申请情况</h3>")
    parts.append(html_table(table_part3(r["template"], r["ap"])))
    parts.append("<h3>四、政府信息公开行政复议、行政诉讼情况</h3>")
    parts.append(html_table(table_part4(r["rl"])))
    for l in after:
        tag = "h3" if re.match(r"[一二三四五六]、", l) else "p"
        parts.append("<%s>%s</%s>" % (tag, l, tag))
    if r.get("signed"):
        parts.append('<p style="text-align:right">%s</p>' % r["issuer"])
        parts.append('<p style="text-align:right">%s</p>' % r["signed"])
    return "\n".join(parts)


def text_lines(r):
    """A plain-text rendering (one table row per line, tab-separated) for PDF attachments."""
    before, after = r["prose"]
    out = [r["title"], ""] + before + ["二、主动公开政府信息情况"]
    def rows_text(rows):
        for row in rows:
            out.append("\t".join(c[0] for c in row))
    rows_text(table_part2(r["template"], r["ad"]))
    out.append("三、收到和处理政府信息公开申请情况")
    rows_text(table_part3(r["template"], r["ap"]))
    out.append("四、政府信息公开行政复议、行政诉讼情况")
    rows_text(table_part4(r["rl"]))
    out += after
    if r.get("signed"):
        out += [r["issuer"], r["signed"]]
    return out


# ---------------------------------------------------------------- page chrome

SITES = {
    "city": {"name": "沈阳市辽中区人民政府", "short": "辽中区", "code": "2101150001", "icp": "辽ICP备05001234号",
             "sponsor": "沈阳市辽中区人民政府办公室", "police": "辽公网安备 21011502000123号"},
    "county": {"name": "新乡市卫滨区人民政府", "short": "卫滨区", "code": "4107030001", "icp": "豫ICP备12004567号",
               "sponsor": "新乡市卫滨区人民政府办公室", "police": "豫公网安备 41070302000045号"},
    "bureau": {"name": "辽宁省机关事务管理局", "short": "省机关事务管理局", "code": "2100000031", "icp": "辽ICP备13002233号-1",
               "sponsor": "辽宁省机关事务管理局", "police": "辽公网安备 21010202000777号"},
    "flaky": {"name": "辽中区茨榆坨街道办事处", "short": "茨榆坨街道", "code": "2101150042", "icp": "辽ICP备05001234号-3",
              "sponsor": "辽中区茨榆坨街道办事处", "police": "辽公网安备 21011502000999号"},
}


def page(host, title, crumbs, body, meta="", charset="utf-8", extra_head=""):
    s = SITES[host]
    if charset == "utf-8":
        cs = '<meta charset="utf-8">'
    else:
        cs = '<meta http-equiv="Content-Type" content="text/html; charset=%s">' % charset
    crumb = " &gt; ".join(['<a href="/">首页</a>'] + crumbs)
    return """<!DOCTYPE html>
<html lang="zh-CN">
<head>
%s
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="SiteName" content="%s">
<meta name="SiteDomain" content="www.example.gov.cn">
<meta name="SiteIDCode" content="%s">
%s<title>%s_%s</title>
<link rel="stylesheet" href="/css/style.css">
%s</head>
<body>
<div class="top-bar"><div class="w1200"><span>欢迎访问%s门户网站</span><a href="javascript:void(0)" onclick="addFavorite()">加入收藏</a> | <a href="javascript:;" class="wza">无障碍浏览</a></div></div>
<div class="header"><div class="w1200"><a href="/" class="logo"><img src="/images/logo.png" alt="%s"></a>
<form class="search" action="/search/" method="get"><input type="text" name="q" placeholder="请输入关键字"><button type="submit">搜索</button></form></div></div>
<div class="nav"><ul class="w1200">
<li><a href="/">首页</a></li><li><a href="/zwdt/index.html">政务动态</a></li><li><a href="/zwgk/index.html">政务公开</a></li><li><a href="/zmhd/index.html">政民互动</a></li><li><a href="/bsfw/index.html">办事服务</a></li>
</ul></div>
<div class="w1200 main">
<div class="breadcrumb">当前位置：%s</div>
%s
</div>
<div class="footer"><div class="w1200">
<p><a href="/wzdt.html">网站地图</a> | <a href="/lxwm.html">联系我们</a> | <a href="/sybz.html">使用帮助</a></p>
<p>主办单位：%s　承办单位：%s信息中心</p>
<p>网站标识码：%s　<a href="https://beian.miit.gov.invalid/" target="_blank">%s</a>　%s</p>
<p>地址：%s　电话：024-00000000</p>
</div></div>
</body>
</html>
""" % (cs, s["name"], s["code"], meta, title, s["name"], extra_head, s["name"], s["name"], crumb, body,
       s["sponsor"], s["name"], s["code"], s["icp"], s["police"], s["name"])


def meta_tags(r, column):
    return ("<meta name=\"ArticleTitle\" content=\"%s\">\n<meta name=\"PubDate\" content=\"%s\">\n"
            "<meta name=\"ContentSource\" content=\"%s\">\n<meta name=\"Author\" content=\"%s\">\n"
            "<meta name=\"ColumnName\" content=\"%s\">\n<meta name=\"ColumnType\" content=\"政府信息公开年报\">\n"
            "<meta name=\"Keywords\" content=\"政府信息公开,年度报告\">\n") % (
        r["title"], r["pubdate_meta"], r["source"], r["author"], column)


def info_line(r):
    d = r["date"]
    y, m, dd = d.split("-")
    style = r["line_style"]
    if style == "city":
        return '<div class="info">发布时间：%s年%s月%s日　来源：%s　编辑：%s　<span>【字体：<a href="javascript:doZoom(16)">大</a> <a href="javascript:doZoom(14)">中</a> <a href="javascript:doZoom(12)">小</a>】</span></div>' % (y, m, dd, r["source"], r["author"])
    if style == "county":
        return '<div class="info">发布日期：%s　信息来源：%s　责任编辑：%s　浏览次数：<span id="hits">1024</span></div>' % (d, r["source"], r["author"])
    if style == "bureau":
        return '<ul class="info"><li>发布时间：%s年%s月%s日</li><li>编辑：%s</li><li>来源：%s</li></ul>' % (y, m, dd, r["author"], r["source"])
    return '<div class="info">发布时间：%s 10:31　信息来源：%s　责任编辑：%s</div>' % (d, r["source"], r["author"])


def article_page(host, r, column, crumbs, body_html, charset="utf-8"):
    body = """<div class="article">
<h1 class="title">%s</h1>
%s
<div class="content TRS_Editor" id="zoom">
%s
</div>
<div class="share"><a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">【关闭窗口】</a></div>
</div>""" % (r["title"], info_line(r), body_html)
    return page(host, r["title"], crumbs, body, meta_tags(r, column), charset)


def listing_page(host, column, crumbs, items, pager, charset="utf-8", extra=""):
    lis = []
    for title, href, date in items:
        # Portals cut list titles short; the full title stays in title=.
        shown = title if len(title) <= 24 else title[:22] + ("…" if host in ("city", "flaky") else "...")
        lis.append('<li><a href="%s" title="%s" target="_blank">%s</a><span>%s</span></li>' % (href, title, shown, date))
    body = """<div class="left-col"><div class="col-title">%s</div>
<ul class="side-menu"><li><a href="/zwgk/index.html">政府信息公开指南</a></li><li><a href="/zwgk/zcwj/index.html">政策文件</a></li><li class="on"><a href="./index.html">%s</a></li></ul></div>
<div class="right-col"><div class="col-head"><h2>%s</h2></div>
<ul class="list">
%s
</ul>
%s
</div>%s""" % ("政务公开", column, column, "\n".join(lis), pager, extra)
    return page(host, column, crumbs, body, '<meta name="ColumnName" content="%s">\n' % column, charset)


# ---------------------------------------------------------------- attachments

def docx_bytes(r):
    """A minimal WordprocessingML document: paragraphs and the three tables with gridSpan/vMerge."""
    def esc(s):
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    def para(text, bold=False, center=False):
        ppr = '<w:pPr><w:jc w:val="center"/></w:pPr>' if center else ""
        rpr = "<w:rPr><w:b/></w:rPr>" if bold else ""
        return '<w:p>%s<w:r>%s<w:t xml:space="preserve">%s</w:t></w:r></w:p>' % (ppr, rpr, esc(text))
    def table(rows):
        width = sum(c[1] for c in rows[0])
        covered = {}  # (row, col) -> (colspan, restart?)
        out = ['<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/><w:tblBorders>'
               '<w:top w:val="single" w:sz="4"/><w:left w:val="single" w:sz="4"/><w:bottom w:val="single" w:sz="4"/>'
               '<w:right w:val="single" w:sz="4"/><w:insideH w:val="single" w:sz="4"/><w:insideV w:val="single" w:sz="4"/>'
               '</w:tblBorders></w:tblPr><w:tblGrid>' + '<w:gridCol w:w="800"/>' * width + "</w:tblGrid>"]
        for ri, row in enumerate(rows):
            out.append("<w:tr>")
            col, cells = 0, list(row)
            while col < width:
                if (ri, col) in covered:
                    span = covered[(ri, col)]
                    gs = '<w:gridSpan w:val="%d"/>' % span if span > 1 else ""
                    out.append('<w:tc><w:tcPr>%s<w:vMerge/></w:tcPr><w:p/></w:tc>' % gs)
                    col += span
                    continue
                if not cells:
                    break
                text, cs, rs = cells.pop(0)
                pr = ""
                if cs > 1:
                    pr += '<w:gridSpan w:val="%d"/>' % cs
                if rs > 1:
                    pr += '<w:vMerge w:val="restart"/>'
                    for k in range(1, rs):
                        covered[(ri + k, col)] = cs
                paras = "".join(para(t, center=True) for t in text.split("\n")) if text else "<w:p/>"
                out.append("<w:tc><w:tcPr>%s</w:tcPr>%s</w:tc>" % (pr, paras))
                col += cs
            out.append("</w:tr>")
        out.append("</w:tbl>")
        return "".join(out)
    before, after = r["prose"]
    body = [para(r["title"], bold=True, center=True)]
    body += [para(l) for l in before]
    body.append(para("二、主动公开政府信息情况"))
    body.append(table(table_part2(r["template"], r["ad"])))
    body.append(para("三、收到和处理政府信息公开申请情况"))
    body.append(table(table_part3(r["template"], r["ap"])))
    body.append(para("四、政府信息公开行政复议、行政诉讼情况"))
    body.append(table(table_part4(r["rl"])))
    body += [para(l) for l in after]
    doc = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
           + "".join(body) + '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>')
    ct = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
          '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
          '</Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
            '</Relationships>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in (("[Content_Types].xml", ct), ("_rels/.rels", rels), ("word/document.xml", doc)):
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 12, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return buf.getvalue()


def pdf_bytes(lines):
    """A PDF like those exported on Chinese portals: a non-embedded CJK font
    (STSong-Light) addressed through Identity-H with a ToUnicode map, so text
    extractors can read it without the font."""
    per_page, size, lead = 48, 10, 15
    chunks = []
    for l in lines:
        l = l.replace("\t", "    ")
        while len(l) > 46:
            chunks.append(l[:46])
            l = l[46:]
        chunks.append(l)
    pages = [chunks[i:i + per_page] for i in range(0, len(chunks), per_page)] or [[]]
    objs = {}
    n_pages = len(pages)
    # 1 catalog, 2 pages, 3 font, 4 descendant, 5 descriptor, then page/content pairs
    kids = " ".join("%d 0 R" % (6 + 2 * i) for i in range(n_pages))
    objs[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objs[2] = ("<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n_pages)).encode()
    objs[3] = b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H /DescendantFonts [4 0 R] /ToUnicode %d 0 R >>" % (6 + 2 * n_pages)
    objs[4] = (b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo "
               b"<< /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor 5 0 R /DW 1000 >>")
    objs[5] = (b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
               b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>")
    for i, pl in enumerate(pages):
        ops = ["BT", "/F1 %d Tf" % size, "%d TL" % lead, "50 800 Td"]
        for l in pl:
            hexs = l.encode("utf-16-be").hex().upper()
            ops.append("<%s> Tj T*" % hexs)
        ops.append("ET")
        content = "\n".join(ops).encode()
        objs[6 + 2 * i] = ("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (7 + 2 * i)).encode()
        objs[7 + 2 * i] = b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"
    used = sorted({ord(c) for l in chunks for c in l if ord(c) <= 0xFFFF})
    cmap = ["/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
            "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def",
            "1 begincodespacerange", "<0000> <FFFF>", "endcodespacerange"]
    for i in range(0, len(used), 100):
        part = used[i:i + 100]
        cmap.append("%d beginbfchar" % len(part))
        cmap += ["<%04X> <%04X>" % (u, u) for u in part]
        cmap.append("endbfchar")
    cmap += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    cm = "\n".join(cmap).encode()
    objs[6 + 2 * n_pages] = b"<< /Length %d >>\nstream\n" % len(cm) + cm + b"\nendstream"
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for k in sorted(objs):
        offsets[k] = len(out)
        out += b"%d 0 obj\n" % k + objs[k] + b"\nendobj\n"
    xref = len(out)
    total = max(objs) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % total
    for k in range(1, total):
        out += b"%010d 00000 n \n" % offsets[k]
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (total, xref)
    return bytes(out)


# ---------------------------------------------------------------- the site

def report(**kw):
    kw.setdefault("template", "2021")
    kw.setdefault("rl", review())
    if "prose" not in kw:
        kw["prose"] = generic_prose(kw["issuer"], kw["year"])
    kw.setdefault("pubdate_meta", kw["date"] + " 09:30")
    return kw


def from_fixture(prefix, **kw):
    exp, txt = fixture(prefix)
    kw.update(ad=exp["active_disclosure"], ap=exp["applications"], rl=exp["review_litigation"],
              template=exp["template"], year=exp["year"], prose=prose_from_fixture(txt))
    return report(**kw)


Z6 = [0] * 6

CITY = "/zwgk/xxgknb/"
C1 = report(id="C1", host="city", agency="沈阳市辽中区人民政府办公室", issuer="沈阳市辽中区人民政府办公室",
            title="沈阳市辽中区人民政府办公室2023年度政府信息公开工作年度报告", year=2023,
            ad=ad21(norm=(11, 3, 25), lic=12, pen=3),
            ap=applications("2021", new_received=[8, 1, 0, 0, 0, 0], granted=[5, 1, 0, 0, 0, 0],
                            partially_granted=[1, 0, 0, 0, 0, 0], denied_third_party=[1, 0, 0, 0, 0, 0],
                            unavailable_not_held=[1, 0, 0, 0, 0, 0]),
            rl=review(rv=(1, 0, 0, 0)),
            path=CITY + "202401/t20240118_3001.html", date="2024-01-18", source="区政府办", author="张宁",
            line_style="city", signed="2024年1月18日")
C2 = from_fixture("000", id="C2", host="city", agency="沈阳市辽中区人民政府办公室", issuer="沈阳市辽中区人民政府办公室",
                  title="沈阳市辽中区人民政府办公室2022年度政府信息公开工作年度报告",
                  path=CITY + "202301/t20230119_1234.html", date="2023-01-19", source="区政府办", author="张宁",
                  line_style="city", signed="2023年1月19日")
C3 = report(id="C3", host="city", agency="沈阳市辽中区人民政府办公室", issuer="沈阳市辽中区人民政府办公室",
            title="沈阳市辽中区人民政府办公室2021年度政府信息公开工作年度报告", year=2021,
            ad=ad21(norm=(9, 9, 0)),
            ap=applications("2021", blank_orgs=True, new_received=[3, 0, 0, 0, 0, 0], granted=[2, 0, 0, 0, 0, 0],
                            unavailable_not_held=[1, 0, 0, 0, 0, 0]),
            path=CITY + "202201/t20220121_888.html", date="2022-01-21", source="区政府办", author="刘畅",
            line_style="city", signed="2022年1月21日")
C4 = from_fixture("003", id="C4", host="city", agency="肖寨门镇人民政府", issuer="肖寨门镇人民政府",
                  title="肖寨门镇2022年度政府信息公开工作报告",
                  path=CITY + "202302/t20230215_1301.html", date="2023-02-15", source="肖寨门镇", author="肖寨门镇党政办",
                  line_style="city")
C5 = report(id="C5", host="city", agency="沈阳市辽中区教育局", issuer="沈阳市辽中区教育局",
            title="辽中区教育局2023年政府信息公开工作年度报告", year=2023,
            ad=ad21(norm=(2, 0, 6), lic=41),
            ap=applications("2021", new_received=[4, 0, 0, 0, 0, 0], granted=[3, 0, 0, 0, 0, 0],
                            not_processed_duplicate=[1, 0, 0, 0, 0, 0]),
            path=CITY + "202401/t20240126_3010.html", date="2024-01-26", source="区教育局", author="王磊",
            line_style="city", signed="2024年1月26日")

COUNTY = "/xxgk/nb/"
W1 = from_fixture("002", id="W1", host="county", agency="新乡市卫滨区人民政府", issuer="新乡市卫滨区人民政府",
                  title="卫滨区人民政府 2022 年政府信息公开工作年度报告",
                  path=COUNTY + "202301/t20230130_5566.html", date="2023-01-30", source="卫滨区人民政府办公室",
                  author="李明", line_style="county")
W2 = report(id="W2", host="county", agency="新乡市卫滨区人民政府", issuer="新乡市卫滨区人民政府",
            title="卫滨区人民政府2021年政府信息公开工作年度报告", year=2021,
            ad=ad21(norm=(3, 1, 21), lic=9876, pen=54, enf=2, fees=98.6),
            ap=applications("2021", new_received=[9, 1, 0, 0, 0, 0], granted=[7, 1, 0, 0, 0, 0],
                            partially_granted=[1, 0, 0, 0, 0, 0], unavailable_not_held=[1, 0, 0, 0, 0, 0]),
            rl=review(ld=(0, 0, 0, 2)),
            path=COUNTY + "202201/t20220127_4012.html", date="2022-01-27", source="卫滨区人民政府办公室",
            author="李明", line_style="county")
W3 = report(id="W3", host="county", agency="新乡市卫滨区人民政府", issuer="新乡市卫滨区人民政府",
            title="卫滨区人民政府2020年政府信息公开工作年度报告", year=2020, template="2019",
            ad=ad19(norm=(4, 4, 19), lic=(12, 3, 8890), svc=(5, 0, 310), pen=(30, -2, 61), enf=(2, 0, 1),
                    fees=(6, -1), proc=(14, "251000元")),
            ap=applications("2019", new_received=[7, 0, 0, 0, 0, 1], granted=[5, 0, 0, 0, 0, 1],
                            unavailable_not_held=[2, 0, 0, 0, 0, 0]),
            path=COUNTY + "202101/t20210129_3120.html", date="2021-01-29", source="卫滨区人民政府办公室",
            author="赵静", line_style="county")

BUREAU, XG = "/xxgk/xxgknb/", "/xgcgb/ndbg/"
B1 = from_fixture("004", id="B1", host="bureau", agency="辽宁省机关事务管理局", issuer="辽宁省机关事务管理局",
                  title="辽宁省机关事务管理局2023年政府信息公开工作年度报告",
                  path=BUREAU + "202401/t20240112_7001.html", date="2024-01-12", source="办公室",
                  author="辽宁省机关事务管理局管理员", line_style="bureau",
                  attachment=BUREAU + "202401/P020240112_辽宁省机关事务管理局2023年政府信息公开工作年度报告.docx")
B2 = report(id="B2", host="bureau", agency="辽宁省机关事务管理局", issuer="辽宁省机关事务管理局",
            title="辽宁省机关事务管理局2022年政府信息公开工作年度报告", year=2022,
            ad=ad21(norm=(1, 0, 2)),
            ap=applications("2021", new_received=[3, 0, 0, 0, 0, 0], granted=[1, 0, 0, 0, 0, 0],
                            denied_internal_affairs=[2, 0, 0, 0, 0, 0]),
            path=BUREAU + "202301/t20230116_6001.html", date="2023-01-16", source="办公室",
            author="辽宁省机关事务管理局管理员", line_style="bureau",
            attachment=BUREAU + "202301/P020230116_辽宁省机关事务管理局2022年政府信息公开工作年度报告.pdf")
_, X1_TXT = fixture("001")
X1 = from_fixture("001", id="X1", host="bureau", agency="洛阳市西工区城市改造办公室", issuer="西工区城市改造办公室",
                  title="西工区城市改造办公室2022年度政府信息公开工作年度报告",
                  path=XG + "P020230130_西工区城市改造办公室2022年度政府信息公开工作年度报告.pdf", date="2023-01-30",
                  source="区城改办", author="区城改办", line_style="bureau", direct=True)
X2 = report(id="X2", host="bureau", agency="洛阳市西工区城市改造办公室", issuer="西工区城市改造办公室",
            title="西工区城市改造办公室2021年度政府信息公开工作年度报告", year=2021,
            ad=ad21(), ap=applications("2021"),
            path=XG + "P020220128_西工区城市改造办公室2021年度政府信息公开工作年度报告.docx", date="2022-01-28",
            source="区城改办", author="区城改办", line_style="bureau", direct=True)

FLAKY_AG = "辽中区茨榆坨街道办事处"
def flaky(id, year, path, date, **kw):
    return report(id=id, host="flaky", agency=FLAKY_AG, issuer=FLAKY_AG,
                  title="%s%d年政府信息公开工作年度报告" % (FLAKY_AG, year), year=year, path=path, date=date,
                  source="街道党政办", author="王", line_style="flaky", signed="%s年1月%s日" % (date[:4], int(date[8:])), **kw)
F1 = flaky("F1", 2022, "/fail-twice.html", "2023-01-20", ad=ad21(), ap=applications("2021", new_received=[1] + [0] * 5, granted=[1] + [0] * 5))
F2 = flaky("F2", 2021, "/rate-limited.html", "2022-01-25", ad=ad21(), ap=applications("2021", blank_orgs=True))
F3 = flaky("F3", 2019, "/slow.html", "2020-01-21", template="2019", ad=ad19(), ap=applications("2019"))
F4 = flaky("F4", 2020, "/reports/2020.html", "2021-01-28", template="2019", ad=ad19(proc=(2, "36000元")), ap=applications("2019"))
F5 = flaky("F5", 2023, "/broken.html", "2024-01-22", ad=ad21(norm=(0, 0, 1)), ap=applications("2021", new_received=[2] + [0] * 5, granted=[1] + [0] * 5, unavailable_unclear=[1] + [0] * 5))

X1["prose"] = prose_from_fixture(X1_TXT)

EXPECTED = [C1, C2, C3, C4, C5, W1, W2, W3, B1, B2, X1, X2, F1, F2, F4, F5]


def notice(host, title, path, date, paras):
    r = {"title": title, "date": date, "pubdate_meta": date + " 16:00", "source": SITES[host]["sponsor"],
         "author": "办公室", "line_style": host}
    return path, r, "\n".join("<p>%s</p>" % p for p in paras)


# ---------------------------------------------------------------- writing

FILES = []  # (host, url path, file path relative to site/, content type)


def put(host, path, data, ctype, charset="utf-8"):
    rel = os.path.join(host, path.lstrip("/"))
    if rel.endswith("/"):
        rel += "index.html"
    full = os.path.join(ROOT, rel)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    if isinstance(data, str):
        data = data.encode("gbk" if charset != "utf-8" else "utf-8")
    with open(full, "wb") as f:
        f.write(data)
    FILES.append((host, path, rel, ctype))


def html_type(host):
    # The county portal is the GBK site that declares its charset only in <meta>.
    return "text/html" if host == "county" else "text/html; charset=utf-8"


def write_page(host, path, html):
    put(host, path, html, html_type(host), "gbk" if host == "county" else "utf-8")


CALENDAR = """<div class="calendar" id="rcap"><div class="cal-title">日程安排 <a href="/hdjl/rcap.html?date=2023-01-01">&lt;</a> 2023年01月 <a href="/hdjl/rcap.html?date=2023-02-01">&gt;</a></div>
<table class="cal"><tr><th>日</th><th>一</th><th>二</th><th>三</th><th>四</th><th>五</th><th>六</th></tr>
<tr>%s</tr></table></div>""" % "".join('<td><a href="/hdjl/rcap.html?date=2023-01-%02d">%d</a></td>' % (d, d) for d in range(1, 8))

FRIENDS = """<div class="friend-links">友情链接：<a href="{{city}}/" target="_blank">沈阳市辽中区人民政府</a> <a href="{{county}}/" target="_blank">新乡市卫滨区人民政府</a> <a href="{{bureau}}/" target="_blank">辽宁省机关事务管理局</a></div>"""

NAV_PAGES = [("/zwdt/index.html", "政务动态"), ("/zmhd/index.html", "政民互动"), ("/bsfw/index.html", "办事服务"),
             ("/zwgk/zcwj/index.html", "政策文件"), ("/wzdt.html", "网站地图"), ("/lxwm.html", "联系我们"), ("/sybz.html", "使用帮助")]


def common_pages(host, home_body, zwgk_links):
    write_page(host, "/index.html", page(host, "首页", [], home_body))
    items = "\n".join('<li><a href="%s">%s</a></li>' % l for l in zwgk_links)
    write_page(host, "/zwgk/index.html", page(host, "政务公开", ['<a href="/zwgk/index.html">政务公开</a>'],
               '<div class="col-head"><h2>政务公开</h2></div><ul class="list">%s</ul>' % items))
    for path, name in NAV_PAGES:
        write_page(host, path, page(host, name, ['<a href="%s">%s</a>' % (path, name)],
                   '<div class="col-head"><h2>%s</h2></div><p>本栏目信息正在更新中。</p><p><a href="/zwgk/index.html">返回政务公开</a></p>' % name))
    put(host, "/css/style.css", "body{font-family:'Microsoft YaHei',SimSun;margin:0}.w1200{width:1200px;margin:0 auto}.list li{line-height:36px}\n", "text/css")


def article(r, column, crumbs):
    body = report_body_html(r)
    write_page(r["host"], r["path"], article_page(r["host"], r, column, crumbs, body))


def build():
    # ---- city
    crumbs = ['<a href="/zwgk/index.html">政务公开</a>', '<a href="%sindex.html">政府信息公开年报</a>' % CITY]
    col = "政府信息公开年报"
    dec23 = notice("city", "关于做好2023年度政府信息公开工作年度报告编制工作的通知", CITY + "202312/t20231205_2990.html", "2023-12-05",
                   ["各镇人民政府、街道办事处，区政府各部门：", "为做好2023年度政府信息公开工作年度报告编制和发布工作，现将有关事项通知如下。", "一、各单位应于2024年1月31日前发布本单位年度报告。"])
    dec22 = notice("city", "关于做好2022年度政府信息公开工作年度报告编制工作的通知", CITY + "202212/t20221201_1100.html", "2022-12-01",
                   ["各镇人民政府、街道办事处，区政府各部门：", "请于2023年1月31日前完成2022年度政府信息公开工作年度报告的编制和发布工作。"])
    yd23 = notice("city", "2023年政务公开工作要点", CITY + "202303/t20230310_2500.html", "2023-03-10", ["2023年全区政务公开工作要点如下。"])
    yd22 = notice("city", "2022年政务公开工作要点", CITY + "202203/t20220311_1500.html", "2022-03-11", ["2022年全区政务公开工作要点如下。"])
    fz22 = notice("city", "辽中区2022年法治政府建设年度报告", CITY + "202302/t20230220_1400.html", "2023-02-20", ["2022年，辽中区法治政府建设工作情况报告如下。"])
    jd21 = notice("city", "辽中区2021年政府信息公开工作年度报告解读", CITY + "202201/t20220125_900.html", "2022-01-25", ["图解：一图读懂2021年政府信息公开工作年度报告。"])
    for r in (C1, C2, C3, C4, C5):
        article(r, col, crumbs)
    for path, r, body in (dec23, dec22, yd23, yd22, fz22, jd21):
        write_page("city", path, article_page("city", r, col, crumbs, body))
    rel = lambda p: "./" + p[len(CITY):]
    pages = [
        [(C1["title"], rel(C1["path"]), C1["date"]), (C5["title"], rel(C5["path"]), C5["date"]),
         (dec23[1]["title"], rel(dec23[0]), dec23[1]["date"]), (yd23[1]["title"], rel(yd23[0]), yd23[1]["date"])],
        [(fz22[1]["title"], rel(fz22[0]), fz22[1]["date"]), (C4["title"], rel(C4["path"]), C4["date"]),
         (C2["title"], rel(C2["path"]), C2["date"]), (dec22[1]["title"], rel(dec22[0]), dec22[1]["date"]),
         (yd22[1]["title"], rel(yd22[0]), yd22[1]["date"])],
        [(jd21[1]["title"], rel(jd21[0]), jd21[1]["date"]), (C3["title"], rel(C3["path"]), C3["date"])],
    ]
    for i, items in enumerate(pages):
        pager = """<div class="page" id="page_div"><script type="text/javascript">
var currentPage = %d;//所在页从0开始
var prevPage = currentPage-1//上一页
var nextPage = currentPage+1//下一页
var countPage = 3//共多少页
createPageHTML(3, %d, "index", "html");
</script></div>""" % (i, i)
        extra = CALENDAR + '<div class="side"><a href="/private/draft.html">内部审核</a></div>'
        write_page("city", CITY + ("index.html" if i == 0 else "index_%d.html" % i), listing_page("city", col, crumbs, items, pager, extra=extra))
    common_pages("city", """<div class="home"><div class="news"><h2>政务公开</h2><ul>
<li><a href="/zwgk/xxgknb/index.html">政府信息公开年报</a></li><li><a href="/zwgk/index.html">政府信息公开指南</a></li></ul></div>
%s%s</div>""" % (CALENDAR, FRIENDS), [("/zwgk/xxgknb/index.html", "政府信息公开年报"), ("/zwgk/zcwj/index.html", "政策文件")])
    put("city", "/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain; charset=utf-8")
    write_page("city", "/private/draft.html", page("city", "内部审核", [], '<ul class="list"><li><a href="/private/t_draft_2024.html">沈阳市辽中区人民政府办公室2024年度政府信息公开工作年度报告（内部审核稿）</a></li></ul>'))
    write_page("city", "/private/t_draft_2024.html", page("city", "内部审核稿", [], "<p>内部审核稿，不得公开。</p>"))

    # ---- county (GBK)
    crumbs = ['<a href="/xxgk/index.html">信息公开</a>', '<a href="%sindex.html">政府信息公开年报</a>' % COUNTY]
    col = "政府信息公开年报"
    for r in (W1, W2, W3):
        article(r, col, crumbs)
    yd = notice("county", "卫滨区2022年政务公开工作要点", COUNTY + "202204/t20220406_4500.html", "2022-04-06", ["全区政务公开工作要点。"])
    tz = notice("county", "卫滨区人民政府办公室关于做好政府信息公开工作年度报告编制和发布有关工作的通知", COUNTY + "202212/t20221220_5100.html", "2022-12-20", ["各镇办、区直各单位：请按时编制发布年度报告。"])
    for path, r, body in (yd, tz):
        write_page("county", path, article_page("county", r, col, crumbs, body))
    rel = lambda p: "./" + p[len(COUNTY):]
    cpages = [
        [(W1["title"], rel(W1["path"]), W1["date"]), (tz[1]["title"], rel(tz[0]), tz[1]["date"])],
        [(yd[1]["title"], rel(yd[0]), yd[1]["date"]), (W2["title"], rel(W2["path"]), W2["date"])],
        [(W3["title"], rel(W3["path"]), W3["date"])],
    ]
    names = ["index.html", "index_1.html", "index_2.html"]
    for i, items in enumerate(cpages):
        links = ['<a href="index.html">首页</a>']
        if i > 0:
            links.append('<a href="%s">上一页</a>' % names[i - 1])
        for j in range(3):
            links.append('<span class="current">%d</span>' % (j + 1) if j == i else '<a href="%s">%d</a>' % (names[j], j + 1))
        if i < 2:
            links.append('<a href="%s">下一页</a>' % names[i + 1])
        links.append('<a href="index_2.html">尾页</a>')
        pager = '<div class="fenye">%s <span>共3页</span></div>' % " ".join(links)
        write_page("county", COUNTY + names[i], listing_page("county", col, crumbs, items, pager, charset="gb2312"))
    s = SITES["county"]
    common_pages("county", '<div class="home"><h2>信息公开</h2><ul><li><a href="/xxgk/nb/index.html">政府信息公开年报</a></li></ul>%s</div>' % FRIENDS,
                 [("/xxgk/nb/index.html", "政府信息公开年报")])
    # county pages must declare gb2312 in <meta>: re-render its common pages in GBK.
    fix_county_charset()

    # ---- bureau
    crumbs = ['<a href="/xxgk/index.html">信息公开</a>', '<a href="%sindex.html">政府信息公开年报</a>' % BUREAU]
    col = "政府信息公开年报"
    for r in (B1, B2):
        name = r["attachment"].rsplit("/", 1)[1]
        body = '<p>%s详见附件。</p>\n<p class="fj">附件：<a href="./%s">%s</a></p>' % (
            r["title"], name[len("P020240112_"):] and name and name.split("/")[-1], name.split("_", 1)[1])
        body = '<p>%s详见附件。</p>\n<p class="fj">附件：<a href="./%s">%s</a></p>' % (r["title"], name, name.split("_", 1)[1])
        write_page("bureau", r["path"], article_page("bureau", r, col, crumbs, body))
    put("bureau", B1["attachment"], docx_bytes(B1), "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    put("bureau", B2["attachment"], pdf_bytes(text_lines(B2)), "application/pdf")
    rel = lambda p: "./" + p[len(BUREAU):]
    items = [(B1["title"], rel(B1["path"]), B1["date"]), ("辽宁省机关事务管理局2023年政务公开工作要点", "./202303/t20230301_6500.html", "2023-03-01"),
             (B2["title"], rel(B2["path"]), B2["date"])]
    yd = notice("bureau", "辽宁省机关事务管理局2023年政务公开工作要点", BUREAU + "202303/t20230301_6500.html", "2023-03-01", ["工作要点。"])
    write_page("bureau", yd[0], article_page("bureau", yd[1], col, crumbs, yd[2]))
    write_page("bureau", BUREAU + "index.html", listing_page("bureau", col, crumbs, items, '<div class="page">共1页</div>'))
    xcol = "西工区城改办政府信息公开年报"
    xcrumbs = ['<a href="/xgcgb/index.html">西工区城市改造办公室</a>', '<a href="%sindex.html">年度报告</a>' % XG]
    put("bureau", X1["path"], pdf_bytes(X1_TXT.splitlines()), "application/pdf")
    put("bureau", X2["path"], docx_bytes(X2), "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    xitems = [(X1["title"], "./" + X1["path"][len(XG):], X1["date"]), (X2["title"], "./" + X2["path"][len(XG):], X2["date"])]
    write_page("bureau", XG + "index.html", listing_page("bureau", xcol, xcrumbs, xitems, ""))
    write_page("bureau", "/xgcgb/index.html", page("bureau", "西工区城市改造办公室", xcrumbs[:1],
               '<ul class="list"><li><a href="/xgcgb/ndbg/index.html">政府信息公开年度报告</a></li></ul>'))
    common_pages("bureau", '<div class="home"><h2>政府信息公开</h2><ul><li><a href="/xxgk/xxgknb/index.html">政府信息公开年报</a></li><li><a href="/xgcgb/index.html">西工区城市改造办公室专栏</a></li></ul>%s</div>' % FRIENDS,
                 [("/xxgk/xxgknb/index.html", "政府信息公开年报")])

    # ---- flaky
    crumbs = ['<a href="/">信息公开</a>']
    for r in (F1, F2, F3, F4):
        article(r, "年度报告", crumbs)
    broken = article_page("flaky", F5, "年度报告", crumbs, report_body_html(F5))
    broken = broken.replace("</td>", "").replace("</p>", "").replace("</tr>", "", 9)
    broken = broken.replace('<div class="content TRS_Editor" id="zoom">', '</table></div><div class="content TRS_Editor" id="zoom"><font color=red><b>')
    broken = broken.replace("</body>", "</div></div></span></body>").replace("</html>", "")
    write_page("flaky", F5["path"], broken)
    items = [(F1["title"], "/fail-twice.html", F1["date"]), (F2["title"], "/rate-limited.html", F2["date"]),
             (F3["title"], "/slow.html", F3["date"]), (F4["title"], "/moved.html", F4["date"]),
             ("%s政务公开专栏（全部历史信息）" % FLAKY_AG, "/huge.html", "2024-01-02"), (F5["title"], "/broken.html", F5["date"])]
    write_page("flaky", "/index.html", listing_page("flaky", "政府信息公开年报", crumbs, items, ""))

    # ---- outputs
    expected = []
    for r in EXPECTED:
        pd = None if r.get("direct") else r["date"]
        expected.append({"host": r["host"], "agency": r["agency"], "year": r["year"], "path": r["path"], "publish_date": pd})
    with open(os.path.join(ROOT, "reports.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)
    lines = ["//! The embedded sample site, generated by crates/portal/site/gen.py; do not edit.", "", "use super::SiteFile;", "", "pub(crate) static FILES: &[SiteFile] = &["]
    for host, path, rel, ctype in FILES:
        lines.append('    SiteFile { host: %s, path: %s, content_type: %s, body: include_bytes!(%s) },' % (
            json.dumps(host), json.dumps(path, ensure_ascii=False), json.dumps(ctype), json.dumps("../site/" + rel, ensure_ascii=False)))
    lines.append("];")
    with open(os.path.join(ROOT, "..", "src", "site_files.rs"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def fix_county_charset():
    # Pages written through page(...) default to <meta charset="utf-8">; the county
    # site is GBK and declares gb2312 in http-equiv, so rewrite those files.
    for host, path, rel, ctype in FILES:
        if host != "county" or not rel.endswith(".html"):
            continue
        full = os.path.join(ROOT, rel)
        with open(full, "rb") as f:
            text = f.read().decode("gbk")
        text = text.replace('<meta charset="utf-8">', '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">')
        with open(full, "wb") as f:
            f.write(text.encode("gbk"))


if __name__ == "__main__":
    import shutil
    for h in SITES:
        shutil.rmtree(os.path.join(ROOT, h), ignore_errors=True)
    build()
    print("%d files" % len(FILES))

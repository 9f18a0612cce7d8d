//! The CMS idioms portal: one host (a real listener on 127.0.0.1) per listing,
//! paging, linking or download idiom of the CMSs Chinese government portals
//! run, each holding reports and decoys, for the discovery tests.
//!
//! The shapes follow public spiders written for gov.cn sites and saved portal
//! pages: Hanweb `dataproxy.jsp` answering POSTed column parameters with an
//! XML record store (CDATA records, `<totalrecord>`); gkmlpt's
//! `/gkmlpt/api/all/{column}?page=N&sid=…` answering `{"total", "articles"}`;
//! jpaas `url`/`queryData` attributes answering JSON with an HTML fragment;
//! TRS `createPageHTML` with `countPage`, Chongqing `createPage`; Hanweb/TRS
//! `downfile.jsp?classid=0&filename=…&showname=…`; UCAP `/{code}/gknb/gknb.shtml`;
//! JEECMS `.jhtml;jsessionid=`; Shanghai `index2.html`; GBK pages.
//!
//! Every request is logged with its method and form body, so tests can
//! assert what a crawler asked and how fast.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use url::Url;

/// The idiom hosts, in the order tests report them.
pub const IDIOM_HOSTS: &[&str] = &[
    "hanweb", "trs", "cq", "gkmlpt", "jpaas", "ajax", "jslinks", "redirect", "frame", "framed",
    "download", "ucap", "hub", "jeecms", "shanghai", "robots", "script", "nomatch",
];

/// One request as the CMS portal saw it.
#[derive(Debug, Clone)]
pub struct CmsRequest {
    /// Host name (`hanweb`, `trs`, …).
    pub host: String,
    /// `GET` or `POST`.
    pub method: String,
    /// Path with query, as sent.
    pub path: String,
    /// The request body (a POSTed form).
    pub body: String,
    /// When it arrived.
    pub at: Instant,
}

/// A report the portal holds: which idiom hides it, whose it is, where it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmsReport {
    /// The idiom (host) that hides it.
    pub idiom: &'static str,
    /// The seed agency it belongs to.
    pub agency: &'static str,
    /// Its report year.
    pub year: i32,
    /// The URL the report is archived under (page, or the file itself).
    pub url: Url,
}

/// A decoy the portal holds: a page or file that looks like a report and is not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmsDecoy {
    /// The idiom (host) that holds it.
    pub idiom: &'static str,
    /// Its title.
    pub title: String,
    /// Where it is served.
    pub url: Url,
}

struct Page {
    content_type: &'static str,
    body: Vec<u8>,
    headers: Vec<(&'static str, Vec<u8>)>,
}

struct Shared {
    pages: HashMap<(String, String), Page>,
    log: Mutex<Vec<CmsRequest>>,
}

#[derive(Clone)]
struct Ctx {
    host: Arc<str>,
    shared: Arc<Shared>,
}

/// The running CMS portal.
pub struct CmsPortal {
    hosts: Vec<(String, SocketAddr)>,
    closed_port: u16,
    shared: Arc<Shared>,
    servers: Vec<(oneshot::Sender<()>, JoinHandle<()>)>,
    reports: Vec<CmsReport>,
    decoys: Vec<CmsDecoy>,
}

impl CmsPortal {
    /// Starts every idiom host on its own OS-chosen port.
    pub async fn start() -> std::io::Result<CmsPortal> {
        let mut listeners = Vec::new();
        for _ in IDIOM_HOSTS {
            listeners.push(TcpListener::bind("127.0.0.1:0").await?);
        }
        let closed_port = TcpListener::bind("127.0.0.1:0").await?.local_addr()?.port();
        let mut hosts = Vec::new();
        for (name, l) in IDIOM_HOSTS.iter().zip(&listeners) {
            hosts.push((name.to_string(), l.local_addr()?));
        }
        let base = |h: &str| -> Url {
            let port = hosts
                .iter()
                .find(|(n, _)| n == h)
                .map_or(closed_port, |(_, a)| a.port());
            Url::parse(&format!("http://127.0.0.1:{port}/")).expect("loopback url")
        };
        let mut site = Site::default();
        build(&mut site, &base);
        let shared = Arc::new(Shared {
            pages: site.pages,
            log: Mutex::new(Vec::new()),
        });
        let mut servers = Vec::new();
        for ((name, _), listener) in hosts.iter().zip(listeners) {
            let ctx = Ctx {
                host: Arc::from(name.as_str()),
                shared: shared.clone(),
            };
            let app = Router::new().fallback(handle).with_state(ctx);
            let (stop, stopped) = oneshot::channel::<()>();
            let task = tokio::spawn(async move {
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.await;
                    })
                    .await;
            });
            servers.push((stop, task));
        }
        let reports = site
            .reports
            .into_iter()
            .map(|(idiom, agency, year, host, path)| CmsReport {
                idiom,
                agency,
                year,
                url: base(host).join(&path).expect("report url"),
            })
            .collect();
        let decoys = site
            .decoys
            .into_iter()
            .map(|(idiom, title, host, path)| CmsDecoy {
                idiom,
                title,
                url: base(host).join(&path).expect("decoy url"),
            })
            .collect();
        Ok(CmsPortal {
            hosts,
            closed_port,
            shared,
            servers,
            reports,
            decoys,
        })
    }

    /// Base URL of a host by name (a closed port for unknown names).
    pub fn base_url(&self, host: &str) -> Url {
        let port = self
            .hosts
            .iter()
            .find(|(n, _)| n == host)
            .map_or(self.closed_port, |(_, a)| a.port());
        Url::parse(&format!("http://127.0.0.1:{port}/")).expect("loopback url")
    }

    /// The host name serving a URL, if it is one of ours.
    pub fn host_of(&self, url: &Url) -> Option<&str> {
        let port = url.port()?;
        self.hosts
            .iter()
            .find(|(_, a)| a.port() == port)
            .map(|(n, _)| n.as_str())
    }

    /// The seed file: one entry URL per idiom host (the framed host is reached
    /// only through its frame, the hub and UCAP platform are portal seeds
    /// without an agency), and agencies listed without URL where a portal
    /// seed publishes their reports.
    pub fn seeds_csv(&self) -> String {
        let u = |h: &str, p: &str| self.base_url(h).join(p).expect("seed url").to_string();
        let closed = format!("http://127.0.0.1:{}/xxgk/", self.closed_port);
        let rows: Vec<(&str, &str, String)> = vec![
            (
                "苏州市吴江区国资办",
                "江苏省苏州市吴江区",
                u("hanweb", "/col/col61490/index.html"),
            ),
            (
                "沈阳市和平区人民政府",
                "辽宁省沈阳市和平区",
                u("trs", "/zwgk/ndbg/index.html"),
            ),
            (
                "重庆市渝中区人民政府",
                "重庆市渝中区",
                u("cq", "/zwgk/ndbg/index.shtml"),
            ),
            (
                "广州市荔湾区人民政府",
                "广东省广州市荔湾区",
                u("gkmlpt", "/gkmlpt/index"),
            ),
            (
                "南京市鼓楼区人民政府",
                "江苏省南京市鼓楼区",
                u("jpaas", "/col/ndbg/index.html"),
            ),
            (
                "杭州市西湖区人民政府",
                "浙江省杭州市西湖区",
                u("ajax", "/xxgk/nb/index.html"),
            ),
            (
                "成都市锦江区人民政府",
                "四川省成都市锦江区",
                u("jslinks", "/zwgk/nb/index.html"),
            ),
            (
                "西安市碑林区人民政府",
                "陕西省西安市碑林区",
                u("redirect", "/index.html"),
            ),
            (
                "郑州市金水区人民政府",
                "河南省郑州市金水区",
                u("frame", "/xxgk/index.html"),
            ),
            (
                "济南市历下区人民政府",
                "山东省济南市历下区",
                u("download", "/xxgk/nb/index.html"),
            ),
            ("", "", u("ucap", "/index.shtml")),
            (
                "淮安市清江浦区教育局",
                "江苏省淮安市清江浦区",
                String::new(),
            ),
            (
                "淮安市清江浦区民政局",
                "江苏省淮安市清江浦区",
                String::new(),
            ),
            (
                "淮安市清江浦区文旅局",
                "江苏省淮安市清江浦区",
                String::new(),
            ),
            ("", "", u("hub", "/nbhz/index.html")),
            (
                "淮安市清江浦区人民政府",
                "江苏省淮安市清江浦区",
                String::new(),
            ),
            ("淮安市淮阴区人民政府", "江苏省淮安市淮阴区", String::new()),
            (
                "太原市小店区人民政府",
                "山西省太原市小店区",
                u("jeecms", "/xxgk/nb/index.jhtml;jsessionid=A1B2C3"),
            ),
            (
                "上海市徐汇区人民政府",
                "上海市徐汇区",
                u("shanghai", "/xxgk/nb/index.html"),
            ),
            (
                "长沙市芙蓉区人民政府",
                "湖南省长沙市芙蓉区",
                u("robots", "/index.html"),
            ),
            (
                "武汉市江岸区人民政府",
                "湖北省武汉市江岸区",
                u("script", "/xxgk/nb/index.html"),
            ),
            (
                "长春市朝阳区人民政府",
                "吉林省长春市朝阳区",
                u("nomatch", "/xxgk/nb/index.html"),
            ),
            ("石家庄市长安区人民政府", "河北省石家庄市长安区", closed),
        ];
        let mut out = String::from("agency,region,level,url,aliases\n");
        for (agency, region, url) in rows {
            out.push_str(&format!("{agency},{region},区县,{url},\n"));
        }
        out
    }

    /// Every report a correct crawl finds.
    pub fn reports(&self) -> &[CmsReport] {
        &self.reports
    }

    /// Every decoy; none may become a report.
    pub fn decoys(&self) -> &[CmsDecoy] {
        &self.decoys
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<CmsRequest> {
        self.shared
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Pages (and answers) the portal serves on a host, for requests-per-page figures.
    pub fn pages_on(&self, host: &str) -> usize {
        self.shared
            .pages
            .keys()
            .filter(|(h, p)| h == host && p != "/robots.txt")
            .count()
    }

    /// Stops every host.
    pub async fn shutdown(mut self) {
        for (stop, task) in self.servers.drain(..) {
            let _ = stop.send(());
            let _ = task.await;
        }
    }
}

/// Pages by (host, path[?query]) plus the expected outcome, built once.
#[derive(Default)]
struct Site {
    pages: HashMap<(String, String), Page>,
    reports: Vec<(&'static str, &'static str, i32, &'static str, String)>,
    decoys: Vec<(&'static str, String, &'static str, String)>,
}

impl Site {
    fn html(&mut self, host: &str, path: &str, html: String) {
        self.put(host, path, "text/html; charset=utf-8", html.into_bytes());
    }

    fn put(&mut self, host: &str, key: &str, content_type: &'static str, body: Vec<u8>) {
        self.pages.insert(
            (host.to_string(), key.to_string()),
            Page {
                content_type,
                body,
                headers: Vec::new(),
            },
        );
    }

    /// A report page (template parts stated) that is expected as a report.
    fn report(
        &mut self,
        idiom: &'static str,
        host: &'static str,
        path: &str,
        agency: &'static str,
        year: i32,
    ) {
        let title = report_title(agency, year);
        self.html(host, path, report_html(&title, year, ""));
        self.reports
            .push((idiom, agency, year, host, path.to_string()));
    }

    fn decoy(
        &mut self,
        idiom: &'static str,
        host: &'static str,
        path: &str,
        title: String,
        body: &str,
    ) {
        self.html(host, path, page(&title, body));
        self.decoys.push((idiom, title, host, path.to_string()));
    }
}

fn report_title(agency: &str, year: i32) -> String {
    format!("{agency}{year}年政府信息公开工作年度报告")
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"
    )
}

/// A report page: the template's parts in the text, a PubDate, an optional extra.
fn report_html(title: &str, year: i32, extra: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title>\
         <meta name=\"ArticleTitle\" content=\"{title}\"><meta name=\"PubDate\" content=\"{next}-01-20 09:00\"></head>\
         <body><h1>{title}</h1><div class=\"info\">发布时间：{next}-01-20 来源：办公室</div>\
         <div class=\"content\"><p>一、总体情况</p><p>本年度，我单位坚持以公开为常态。</p>\
         <p>二、主动公开政府信息情况</p><p>三、收到和处理政府信息公开申请情况</p>\
         <p>四、政府信息公开行政复议、行政诉讼情况</p><p>五、存在的主要问题及改进情况</p>\
         <p>六、其他需要报告的事项</p>{extra}</div></body></html>",
        next = year + 1
    )
}

/// A minimal PDF with a text line: enough for sniffing by bytes.
fn pdf_bytes(label: &str) -> Vec<u8> {
    format!(
        "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n\
         3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n% {label}\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
    .into_bytes()
}

fn li(href: &str, text: &str) -> String {
    format!("<li><a href=\"{href}\" title=\"{text}\">{text}</a><span>2024-01-20</span></li>")
}

fn news(n: usize) -> String {
    (0..n)
        .map(|i| li(&format!("/news/{i}.html"), &format!("工作动态第{i}期")))
        .collect()
}

fn build(s: &mut Site, base: &dyn Fn(&str) -> Url) {
    hanweb(s);
    trs(s);
    gkmlpt(s);
    jpaas(s);
    ajax(s);
    jslinks(s);
    redirect(s);
    frame(s, base);
    download(s);
    ucap(s);
    hub(s);
    jeecms(s);
    shanghai(s);
    why_not(s);
}

/// Hanweb jpage: 3 records embedded, 6 more by POSTed groups of 3 (9 in all).
fn hanweb(s: &mut Site) {
    const A: &str = "苏州市吴江区国资办";
    let record = |href: &str, text: &str| {
        format!(
            "<record><![CDATA[<li><a href=\"{href}\" target=\"_blank\" title=\"{text}\">{text}</a><span class=\"bt-data-time\">[2024-01-20]</span></li>]]></record>"
        )
    };
    let explainer = format!("一图读懂{}", report_title(A, 2023));
    let interp = format!("《{}》解读", report_title(A, 2022));
    let groups: [Vec<(String, String)>; 3] = [
        vec![
            ("/art/2024/1/22/art_61490_9.html".into(), explainer.clone()),
            (
                "/art/2024/1/5/art_61490_8.html".into(),
                "国资系统工作会议召开".into(),
            ),
            (
                "/art/2023/12/5/art_61490_7.html".into(),
                "国企改革推进会".into(),
            ),
        ],
        vec![
            (
                "/art/2024/1/20/art_61490_6.html".into(),
                report_title(A, 2023),
            ),
            (
                "/art/2023/6/1/art_61490_5.html".into(),
                "国资监管动态".into(),
            ),
            (
                "/art/2023/3/1/art_61490_4.html".into(),
                "安全生产检查".into(),
            ),
        ],
        vec![
            (
                "/art/2023/1/20/art_61490_3.html".into(),
                report_title(A, 2022),
            ),
            ("/art/2023/1/25/art_61490_2.html".into(), interp.clone()),
            ("/art/2022/9/1/art_61490_1.html".into(), "党建工作".into()),
        ],
    ];
    let store = |g: &[(String, String)], total: bool| {
        let recs: String = g.iter().map(|(h, t)| record(h, t)).collect();
        let tot = if total {
            "<totalrecord>9</totalrecord>"
        } else {
            ""
        };
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><datastore>{tot}<recordset>{recs}</recordset></datastore>"
        )
    };
    let nextgroup = "<nextgroup><![CDATA[<a href=\"/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=39&path=/&columnid=61490&unitid=247686&webname=%E5%90%B4%E6%B1%9F%E5%8C%BA&permissiontype=0\"></a>]]></nextgroup>";
    let embedded: String = groups[0].iter().map(|(h, t)| record(h, t)).collect();
    s.html(
        "hanweb",
        "/col/col61490/index.html",
        page(
            "政府信息公开年报",
            &format!(
                "<div id=\"247686\"><script type=\"text/xml\"><datastore>{nextgroup}<recordset>{embedded}</recordset></datastore></script></div>\
                 <script type=\"text/javascript\" src=\"/module/web/jpage/jpage.js\"></script>\
                 <script>$(function(){{ $('#247686').jpage({{ totalRecord: 9, perPage: 3, groupSize: 1, proxyUrl: '/module/web/jpage/dataproxy.jsp', dataBefore: '<ul>', dataAfter: '</ul>' }}); }});</script>"
            ),
        ),
    );
    // The proxy answers POSTs only (see `handle`), keyed by the record range.
    s.put(
        "hanweb",
        "POST /module/web/jpage/dataproxy.jsp?startrecord=4&endrecord=6&perpage=3",
        "text/xml; charset=utf-8",
        store(&groups[1], true).into_bytes(),
    );
    s.put(
        "hanweb",
        "POST /module/web/jpage/dataproxy.jsp?startrecord=7&endrecord=9&perpage=3",
        "text/html; charset=utf-8",
        store(&groups[2], true).into_bytes(),
    );
    s.report(
        "hanweb",
        "hanweb",
        "/art/2024/1/20/art_61490_6.html",
        A,
        2023,
    );
    s.report(
        "hanweb",
        "hanweb",
        "/art/2023/1/20/art_61490_3.html",
        A,
        2022,
    );
    s.decoy(
        "hanweb",
        "hanweb",
        "/art/2024/1/22/art_61490_9.html",
        explainer,
        "<img src=\"/img/nb2023.jpg\" alt=\"长图\">",
    );
    s.decoy(
        "hanweb",
        "hanweb",
        "/art/2023/1/25/art_61490_2.html",
        interp,
        "<p>一、总体情况的解读：……</p><p>二、主动公开政府信息情况的解读：……</p>",
    );
    for (h, t) in groups.iter().flatten() {
        if !s.pages.contains_key(&("hanweb".to_string(), h.clone())) {
            s.html("hanweb", h, page(t, "<p>正文</p>"));
        }
    }
}

/// TRS createPageHTML with countPage/currentPage variables; Chongqing createPage.
fn trs(s: &mut Site) {
    const A: &str = "沈阳市和平区人民政府";
    let pager = "<div class=\"page\"><script>var countPage = 3//共多少页\nvar currentPage = 0;//所在页从0开始\ncreatePageHTML(countPage, currentPage, \"index\", \"html\");</script></div>";
    let notice = "关于做好2023年度政府信息公开工作年度报告编制发布工作的通知";
    s.html(
        "trs",
        "/zwgk/ndbg/index.html",
        page(
            "年度报告",
            &format!(
                "<ul>{}{}{}</ul>{pager}",
                li("./202401/t20240120_301.html", &report_title(A, 2023)),
                li("./202312/t20231201_300.html", notice),
                news(2)
            ),
        ),
    );
    s.html(
        "trs",
        "/zwgk/ndbg/index_1.html",
        page(
            "年度报告",
            &format!(
                "<ul>{}</ul>{pager}",
                li("./202301/t20230120_201.html", &report_title(A, 2022))
            ),
        ),
    );
    s.html(
        "trs",
        "/zwgk/ndbg/index_2.html",
        page(
            "年度报告",
            &format!(
                "<ul>{}</ul>{pager}",
                li("./202201/t20220120_101.html", &report_title(A, 2021))
            ),
        ),
    );
    s.report(
        "trs",
        "trs",
        "/zwgk/ndbg/202401/t20240120_301.html",
        A,
        2023,
    );
    s.report(
        "trs",
        "trs",
        "/zwgk/ndbg/202301/t20230120_201.html",
        A,
        2022,
    );
    s.report(
        "trs",
        "trs",
        "/zwgk/ndbg/202201/t20220120_101.html",
        A,
        2021,
    );
    s.html(
        "trs",
        "/zwgk/ndbg/202312/t20231201_300.html",
        page(notice, "<p>各单位：……</p>"),
    );
    for i in 0..2 {
        s.html(
            "trs",
            &format!("/news/{i}.html"),
            page("工作动态", "<p>正文</p>"),
        );
    }

    const C: &str = "重庆市渝中区人民政府";
    let cq_pager =
        "<div id=\"pager\"><script>createPage(2, 0, \"index\", \"shtml\");</script></div>";
    let tujie = format!("图解：{}", report_title(C, 2023));
    s.html(
        "cq",
        "/zwgk/ndbg/index.shtml",
        page(
            "政府信息公开年度报告",
            &format!(
                "<ul>{}{}</ul>{cq_pager}",
                li("./202401/t20240125_11.html", &report_title(C, 2023)),
                li("./202401/t20240126_12.html", &tujie)
            ),
        ),
    );
    s.html(
        "cq",
        "/zwgk/ndbg/index_1.shtml",
        page(
            "政府信息公开年度报告",
            &format!(
                "<ul>{}</ul>{cq_pager}",
                li("./202301/t20230125_5.html", &report_title(C, 2022))
            ),
        ),
    );
    s.report("cq", "cq", "/zwgk/ndbg/202401/t20240125_11.html", C, 2023);
    s.report("cq", "cq", "/zwgk/ndbg/202301/t20230125_5.html", C, 2022);
    s.decoy(
        "cq",
        "cq",
        "/zwgk/ndbg/202401/t20240126_12.html",
        tujie,
        "<img src=\"tj.png\" alt=\"图解\">",
    );
}

/// gkmlpt: the shell names SID and the column tree; the API pages 2 articles at a time.
fn gkmlpt(s: &mut Site) {
    const A: &str = "广州市荔湾区人民政府";
    s.html("gkmlpt", "/gkmlpt/index", page("信息公开目录", "<div id=\"app\"></div>\
        <script>window._CONFIG = { SID: '200165', TREE: [{\"id\":5,\"name\":\"规划计划\",\"children\":[]},{\"id\":3155,\"name\":\"政府信息公开年报\",\"children\":[]}] };</script>\
        <script src=\"/gkmlpt/gkml/pc/js/chunk-common.js\"></script>"));
    let explainer = format!("一图读懂{}", report_title(A, 2023));
    let interp = format!("{}解读", report_title(A, 2022));
    let items = [
        (1, report_title(A, 2023)),
        (2, explainer.clone()),
        (3, report_title(A, 2022)),
        (4, interp.clone()),
        (5, report_title(A, 2021)),
    ];
    for (page_no, chunk) in items.chunks(2).enumerate() {
        let arts: Vec<String> = chunk
            .iter()
            .map(|(id, t)| format!("{{\"id\":{id},\"title\":\"{t}\",\"url\":\"/gkmlpt/content/0/{id}/post_{id}.html\",\"created_at\":\"2024-01-2{id} 10:00:00\"}}"))
            .collect();
        let body = format!(
            "{{\"total\":5,\"classify\":{{\"id\":3155,\"post_count\":5}},\"articles\":[{}]}}",
            arts.join(",")
        );
        s.put(
            "gkmlpt",
            &format!("/gkmlpt/api/all/3155?page={}&sid=200165", page_no + 1),
            "application/json",
            body.into_bytes(),
        );
    }
    s.report(
        "gkmlpt",
        "gkmlpt",
        "/gkmlpt/content/0/1/post_1.html",
        A,
        2023,
    );
    s.report(
        "gkmlpt",
        "gkmlpt",
        "/gkmlpt/content/0/3/post_3.html",
        A,
        2022,
    );
    s.report(
        "gkmlpt",
        "gkmlpt",
        "/gkmlpt/content/0/5/post_5.html",
        A,
        2021,
    );
    s.decoy(
        "gkmlpt",
        "gkmlpt",
        "/gkmlpt/content/0/2/post_2.html",
        explainer,
        "<img src=\"a.png\">",
    );
    s.decoy(
        "gkmlpt",
        "gkmlpt",
        "/gkmlpt/content/0/4/post_4.html",
        interp,
        "<p>解读正文</p>",
    );
}

/// jpaas: an empty element with `url` and `queryData`; JSON answers with HTML inside.
fn jpaas(s: &mut Site) {
    const A: &str = "南京市鼓楼区人民政府";
    s.html("jpaas", "/col/ndbg/index.html", page("年度报告", "<div class=\"default_pgContainer\" url=\"/api-gateway/jpaas-publish-server/front/page/build/unit\" queryData='{\"webId\":\"8\",\"pageNo\":1,\"columnId\":\"ndbg\"}'></div>\
        <script src=\"/js/jpaas-list.js\"></script>"));
    let h5 = format!("{}（H5版）", report_title(A, 2023));
    let answer = |html: String| {
        format!(
            "{{\"success\":true,\"data\":{{\"html\":\"{}\",\"pageCount\":2}}}}",
            html.replace('"', "\\\"")
        )
    };
    s.put(
        "jpaas",
        "/api-gateway/jpaas-publish-server/front/page/build/unit?columnId=ndbg&pageNo=1&webId=8",
        "application/json;charset=UTF-8",
        answer(format!(
            "<ul>{}{}</ul>",
            li("/art/2024/1/18/art_8_101.html", &report_title(A, 2023)),
            li("/art/2024/1/19/art_8_102.html", &h5)
        ))
        .into_bytes(),
    );
    s.put(
        "jpaas",
        "/api-gateway/jpaas-publish-server/front/page/build/unit?columnId=ndbg&pageNo=2&webId=8",
        "application/json;charset=UTF-8",
        answer(format!(
            "<ul>{}</ul>",
            li("/art/2023/1/18/art_8_51.html", &report_title(A, 2022))
        ))
        .into_bytes(),
    );
    s.report("jpaas", "jpaas", "/art/2024/1/18/art_8_101.html", A, 2023);
    s.report("jpaas", "jpaas", "/art/2023/1/18/art_8_51.html", A, 2022);
    s.decoy(
        "jpaas",
        "jpaas",
        "/art/2024/1/19/art_8_102.html",
        h5,
        "<div id=\"h5\"></div>",
    );
}

/// `$.ajax` POST list with page parameters; `total` and rows in the answer.
fn ajax(s: &mut Site) {
    const A: &str = "杭州市西湖区人民政府";
    s.html("ajax", "/xxgk/nb/index.html", page("政府信息公开年报", "<ul id=\"list\"></ul>\
        <script>function load(p){ $.ajax({ url: '/api/nb/list.do', type: 'POST', dataType: 'json', data: { pageNo: 1, pageSize: 2, channel: 'nb' }, success: function(d){ render(d.rows); } }); } load(1);</script>"));
    let tujie = format!("图说{}", report_title(A, 2023));
    let rows = |items: &[(&str, String)]| {
        let r: Vec<String> = items
            .iter()
            .map(|(u, t)| {
                format!("{{\"title\":\"{t}\",\"linkUrl\":\"{u}\",\"pubDate\":\"2024-01-10\"}}")
            })
            .collect();
        format!("{{\"code\":200,\"total\":3,\"rows\":[{}]}}", r.join(","))
    };
    s.put(
        "ajax",
        "POST /api/nb/list.do?pageNo=1&pageSize=2&channel=nb",
        "application/json",
        rows(&[
            ("/xxgk/nb/2024/0110/c1.html", report_title(A, 2023)),
            ("/xxgk/nb/2024/0111/c2.html", tujie.clone()),
        ])
        .into_bytes(),
    );
    s.put(
        "ajax",
        "POST /api/nb/list.do?pageNo=2&pageSize=2&channel=nb",
        "application/json",
        rows(&[("/xxgk/nb/2023/0110/c0.html", report_title(A, 2022))]).into_bytes(),
    );
    s.report("ajax", "ajax", "/xxgk/nb/2024/0110/c1.html", A, 2023);
    s.report("ajax", "ajax", "/xxgk/nb/2023/0110/c0.html", A, 2022);
    s.decoy(
        "ajax",
        "ajax",
        "/xxgk/nb/2024/0111/c2.html",
        tujie,
        "<img src=\"t.png\">",
    );
}

/// Links in handlers: onclick window.open, javascript:openLink, location.href.
fn jslinks(s: &mut Site) {
    const A: &str = "成都市锦江区人民政府";
    let interp = format!("《{}》解读", report_title(A, 2023));
    s.html("jslinks", "/zwgk/nb/index.html", page("年度报告", &format!(
        "<ul><li onclick=\"window.open('/art/2024/1/10/art_1.html')\" style=\"cursor:pointer\">{}</li>\
         <li><a href=\"javascript:openLink('/art/2023/1/10/art_2.html')\">{}</a></li>\
         <li><a href=\"#\" onclick=\"location.href='/art/2024/2/1/art_3.html';return false;\">{interp}</a></li></ul>",
        report_title(A, 2023),
        report_title(A, 2022)
    )));
    s.report("jslinks", "jslinks", "/art/2024/1/10/art_1.html", A, 2023);
    s.report("jslinks", "jslinks", "/art/2023/1/10/art_2.html", A, 2022);
    s.decoy(
        "jslinks",
        "jslinks",
        "/art/2024/2/1/art_3.html",
        interp,
        "<p>解读</p>",
    );
}

/// Meta refresh, then a script redirect, then the listing; one report by attachment.
fn redirect(s: &mut Site) {
    const A: &str = "西安市碑林区人民政府";
    s.html("redirect", "/index.html", "<html><head><meta http-equiv=\"refresh\" content=\"0;url=/xxgk/index.html\"><title>跳转中</title></head><body></body></html>".into());
    s.html("redirect", "/xxgk/index.html", "<html><head><title>信息公开</title></head><body><script>window.location.href = \"./nb/list.html\";</script></body></html>".into());
    let column = format!("{A}2023年政府信息公开工作年度报告专栏");
    s.html(
        "redirect",
        "/xxgk/nb/list.html",
        page(
            "年报",
            &format!(
                "<ul>{}{}{}</ul>",
                li("/xxgk/nb/2024/report2023.html", &report_title(A, 2023)),
                li("/xxgk/nb/2023/report2022.html", &report_title(A, 2022)),
                li("/xxgk/nb/zl2023.html", &column)
            ),
        ),
    );
    s.report(
        "redirect",
        "redirect",
        "/xxgk/nb/2024/report2023.html",
        A,
        2023,
    );
    // A page that only links its report as a PDF: a report by its attachment.
    let t22 = report_title(A, 2022);
    s.html(
        "redirect",
        "/xxgk/nb/2023/report2022.html",
        page(
            &t22,
            "<p>附件：<a href=\"/files/bl2022.pdf\">碑林区2022年年报.pdf</a></p>",
        ),
    );
    s.reports.push((
        "redirect",
        A,
        2022,
        "redirect",
        "/xxgk/nb/2023/report2022.html".into(),
    ));
    s.put(
        "redirect",
        "/files/bl2022.pdf",
        "application/pdf",
        pdf_bytes("beilin 2022"),
    );
    s.decoy(
        "redirect",
        "redirect",
        "/xxgk/nb/zl2023.html",
        column,
        "<p>暂无内容</p>",
    );
}

/// A seed page framing its listing on another host.
fn frame(s: &mut Site, base: &dyn Fn(&str) -> Url) {
    const A: &str = "郑州市金水区人民政府";
    let framed = base("framed").join("/gk/nb/index.html").expect("frame url");
    s.html(
        "frame",
        "/xxgk/index.html",
        page(
            "政府信息公开",
            &format!("<iframe src=\"{framed}\" title=\"年报\" width=\"100%\"></iframe>"),
        ),
    );
    let jd = format!("{}解读", report_title(A, 2023));
    s.html(
        "framed",
        "/gk/nb/index.html",
        page(
            "年报",
            &format!(
                "<ul>{}{}{}</ul>",
                li("/gk/nb/2024/01.html", &report_title(A, 2023)),
                li("/gk/nb/2023/01.html", &report_title(A, 2022)),
                li("/gk/nb/2024/02.html", &jd)
            ),
        ),
    );
    s.report("frame", "framed", "/gk/nb/2024/01.html", A, 2023);
    s.report("frame", "framed", "/gk/nb/2023/01.html", A, 2022);
    s.decoy("frame", "framed", "/gk/nb/2024/02.html", jd, "<p>解读</p>");
}

/// Downloads without a file name: downfile.jsp with a long Chinese showname,
/// download.jsp?fid= with a raw GBK or RFC 5987 Content-Disposition.
fn download(s: &mut Site) {
    const A: &str = "济南市历下区人民政府";
    let t23 = report_title(A, 2023);
    let showname: String =
        url::form_urlencoded::byte_serialize(format!("{t23}（全文）.pdf").as_bytes()).collect();
    let downfile = format!(
        "/module/download/downfile.jsp?classid=0&filename=5c3a9f0e2b7d4e1a8c6f0d2e4b1a3c5d.pdf&showname={showname}"
    );
    assert!(
        downfile.len() > 300,
        "a real downfile link runs past 300 characters"
    );
    s.html(
        "download",
        "/xxgk/nb/2024/art_1.html",
        page(
            &t23,
            &format!("<p>附件：<a href=\"{downfile}\">点击下载</a></p>"),
        ),
    );
    s.reports.push((
        "download",
        A,
        2023,
        "download",
        "/xxgk/nb/2024/art_1.html".into(),
    ));
    s.put(
        "download",
        &downfile,
        "application/octet-stream",
        pdf_bytes("lixia 2023"),
    );
    // Listed directly: the file named only by a raw GBK Content-Disposition.
    let t22 = report_title(A, 2022);
    let gbk = gbk_encode(&format!("{t22}.pdf"));
    s.pages.insert(
        ("download".into(), "/download.jsp?fid=2045".into()),
        Page {
            content_type: "application/octet-stream",
            body: pdf_bytes("lixia 2022"),
            headers: vec![(
                "content-disposition",
                [b"attachment; filename=\"".as_slice(), &gbk, b"\""].concat(),
            )],
        },
    );
    s.reports.push((
        "download",
        A,
        2022,
        "download",
        "/download.jsp?fid=2045".into(),
    ));
    // Under a report page, linked as 附件下载, named by RFC 5987.
    let t21 = report_title(A, 2021);
    s.html(
        "download",
        "/xxgk/nb/2022/art_9.html",
        page(
            &t21,
            "<p><a href=\"/download.jsp?fid=2046\">附件下载</a></p>",
        ),
    );
    let rfc: String =
        url::form_urlencoded::byte_serialize(format!("{t21}.pdf").as_bytes()).collect();
    s.pages.insert(
        ("download".into(), "/download.jsp?fid=2046".into()),
        Page {
            content_type: "application/octet-stream",
            body: pdf_bytes("lixia 2021"),
            headers: vec![(
                "content-disposition",
                format!(
                    "attachment; filename=\"nb.pdf\"; filename*=UTF-8''{}",
                    rfc.replace('+', "%20")
                )
                .into_bytes(),
            )],
        },
    );
    s.reports.push((
        "download",
        A,
        2021,
        "download",
        "/xxgk/nb/2022/art_9.html".into(),
    ));
    let explainer = format!("一图读懂{t23}");
    s.pages.insert(
        ("download".into(), "/download.jsp?fid=2047".into()),
        Page {
            content_type: "application/octet-stream",
            body: pdf_bytes("explainer"),
            headers: vec![(
                "content-disposition",
                b"attachment; filename=\"yitu.pdf\"".to_vec(),
            )],
        },
    );
    s.decoys.push((
        "download",
        explainer.clone(),
        "download",
        "/download.jsp?fid=2047".into(),
    ));
    s.html(
        "download",
        "/xxgk/nb/index.html",
        page(
            "年度报告",
            &format!(
                "<ul>{}{}{}{}</ul>",
                li("/xxgk/nb/2024/art_1.html", &t23),
                li("/download.jsp?fid=2045", &t22),
                li("/xxgk/nb/2022/art_9.html", &t21),
                li("/download.jsp?fid=2047", &explainer)
            ),
        ),
    );
}

/// GBK bytes of `s`, as GBK portals serve them.
fn gbk_encode(s: &str) -> Vec<u8> {
    encoding_rs::GBK.encode(s).0.into_owned()
}

/// UCAP county platform: per-agency `/{code}/gknb/gknb.shtml` columns; one empty.
fn ucap(s: &mut Site) {
    s.html(
        "ucap",
        "/index.shtml",
        page(
            "清江浦区政府信息公开平台",
            "<ul>\
        <li><a href=\"/001/gknb/gknb.shtml\">区教育局</a></li>\
        <li><a href=\"/002/gknb/gknb.shtml\">区民政局</a></li>\
        <li><a href=\"/003/gknb/gknb.shtml\">区文旅局</a></li></ul>",
        ),
    );
    for (code, a) in [
        ("001", "淮安市清江浦区教育局"),
        ("002", "淮安市清江浦区民政局"),
    ] {
        s.html(
            "ucap",
            &format!("/{code}/gknb/gknb.shtml"),
            page(
                "年度报告",
                &format!(
                    "<ul>{}</ul>",
                    li(
                        &format!("/{code}/gknb/202401/t1.shtml"),
                        &report_title(a, 2023)
                    )
                ),
            ),
        );
        s.report(
            "ucap",
            "ucap",
            &format!("/{code}/gknb/202401/t1.shtml"),
            a,
            2023,
        );
    }
    // The 文旅局 column is titled like a report and holds nothing.
    let t = report_title("淮安市清江浦区文旅局", 2023);
    s.html(
        "ucap",
        "/003/gknb/gknb.shtml",
        page(
            "年度报告",
            &format!("<ul>{}</ul>", li("/003/gknb/202401/t1.shtml", &t)),
        ),
    );
    s.decoy(
        "ucap",
        "ucap",
        "/003/gknb/202401/t1.shtml",
        t,
        "<p>暂无信息</p>",
    );
}

/// 年报汇总 hub: links are unit names under a year heading.
fn hub(s: &mut Site) {
    let title = "淮安市政府信息公开工作年度报告汇总";
    s.html("hub", "/nbhz/index.html", page(title, "<div class=\"year\"><h3>2023年度</h3><ul>\
        <li><a href=\"/qjp/2024/nb.html\">清江浦区</a></li><li><a href=\"/hy/2024/nb.html\">淮阴区</a></li></ul></div>\
        <div class=\"year\"><h3>2022年度</h3><ul><li><a href=\"/qjp/2023/nb.html\">清江浦区</a></li></ul></div>"));
    s.decoys
        .push(("hub", title.into(), "hub", "/nbhz/index.html".into()));
    s.report(
        "hub",
        "hub",
        "/qjp/2024/nb.html",
        "淮安市清江浦区人民政府",
        2023,
    );
    s.report(
        "hub",
        "hub",
        "/hy/2024/nb.html",
        "淮安市淮阴区人民政府",
        2023,
    );
    s.report(
        "hub",
        "hub",
        "/qjp/2023/nb.html",
        "淮安市清江浦区人民政府",
        2022,
    );
}

/// JEECMS: `.jhtml;jsessionid=` rewritten links, one page under two session ids.
fn jeecms(s: &mut Site) {
    const A: &str = "太原市小店区人民政府";
    let tujie = format!("{}图解", report_title(A, 2023));
    s.html("jeecms", "/xxgk/nb/index.jhtml", page("年度报告", &format!(
        "<ul>{}{}{}</ul><div class=\"pages\"><a href=\"index_2.jhtml;jsessionid=A1B2C3\">下一页</a></div>",
        li("/xxgk/nb/2024/01/1.jhtml;jsessionid=A1B2C3", &report_title(A, 2023)),
        li("/xxgk/nb/2024/01/1.jhtml;jsessionid=ZZ9900", &report_title(A, 2023)),
        li("/xxgk/nb/2024/01/2.jhtml;jsessionid=A1B2C3", &tujie)
    )));
    s.html("jeecms", "/xxgk/nb/index_2.jhtml", page("年度报告", &format!(
        "<ul>{}</ul><div class=\"pages\"><a href=\"index.jhtml;jsessionid=Q7\">上一页</a></div>",
        li("/xxgk/nb/2023/01/9.jhtml;jsessionid=Q7", &report_title(A, 2022))
    )));
    s.report("jeecms", "jeecms", "/xxgk/nb/2024/01/1.jhtml", A, 2023);
    s.report("jeecms", "jeecms", "/xxgk/nb/2023/01/9.jhtml", A, 2022);
    s.decoy(
        "jeecms",
        "jeecms",
        "/xxgk/nb/2024/01/2.jhtml",
        tujie,
        "<img src=\"tj.png\">",
    );
}

/// Shanghai: GBK pages, `<base href>`, `index2.html` paging.
fn shanghai(s: &mut Site) {
    const A: &str = "上海市徐汇区人民政府";
    let gbk_page = |title: &str, body: &str| -> Vec<u8> {
        gbk_encode(&format!(
            "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gbk\"><base href=\"/xxgk/nb/\"><title>{title}</title></head><body>{body}</body></html>"
        ))
    };
    let pager = |next: Option<&str>| match next {
        Some(n) => format!(
            "<div class=\"pager\"><a href=\"index.html\">首页</a><a href=\"{n}\">下一页</a></div>"
        ),
        None => "<div class=\"pager\"><a href=\"index.html\">首页</a></div>".into(),
    };
    let notice = format!("关于{}的公告", report_title(A, 2023));
    s.put(
        "shanghai",
        "/xxgk/nb/index.html",
        "text/html",
        gbk_page(
            "年度报告",
            &format!(
                "<ul>{}{}</ul>{}",
                li("2024/nb2023.html", &report_title(A, 2023)),
                li("2024/gg.html", &notice),
                pager(Some("index2.html"))
            ),
        ),
    );
    s.put(
        "shanghai",
        "/xxgk/nb/index2.html",
        "text/html",
        gbk_page(
            "年度报告",
            &format!(
                "<ul>{}</ul>{}",
                li("2023/nb2022.html", &report_title(A, 2022)),
                pager(Some("index3.html"))
            ),
        ),
    );
    s.put(
        "shanghai",
        "/xxgk/nb/index3.html",
        "text/html",
        gbk_page(
            "年度报告",
            &format!(
                "<ul>{}</ul>{}",
                li("2022/nb2021.html", &report_title(A, 2021)),
                pager(None)
            ),
        ),
    );
    for (path, year) in [
        ("/xxgk/nb/2024/nb2023.html", 2023),
        ("/xxgk/nb/2023/nb2022.html", 2022),
        ("/xxgk/nb/2022/nb2021.html", 2021),
    ] {
        let title = report_title(A, year);
        let html = report_html(&title, year, "").replace("charset=\"utf-8\"", "charset=\"gbk\"");
        s.put("shanghai", path, "text/html", gbk_encode(&html));
        s.reports
            .push(("shanghai", A, year, "shanghai", path.into()));
    }
    s.put(
        "shanghai",
        "/xxgk/nb/2024/gg.html",
        "text/html",
        gbk_page(&notice, "<p>公告</p>"),
    );
    s.decoys.push((
        "shanghai",
        notice,
        "shanghai",
        "/xxgk/nb/2024/gg.html".into(),
    ));
}

/// Seeds where nothing can be found, each for its own reason.
fn why_not(s: &mut Site) {
    // robots.txt forbids the report column.
    s.put(
        "robots",
        "/robots.txt",
        "text/plain",
        b"User-agent: *\nDisallow: /xxgk/nb/\n".to_vec(),
    );
    s.html(
        "robots",
        "/index.html",
        page(
            "芙蓉区人民政府",
            "<a href=\"/xxgk/nb/index.html\">政府信息公开年报</a>",
        ),
    );
    s.html(
        "robots",
        "/xxgk/nb/index.html",
        page(
            "年报",
            &li(
                "/xxgk/nb/1.html",
                &report_title("长沙市芙蓉区人民政府", 2023),
            ),
        ),
    );
    // A list the page builds from a computed address.
    s.html("script", "/xxgk/nb/index.html", page("政府信息公开年报", "<ul id=\"list\"></ul>\
        <script>var apiBase = window.__API__ || '/gateway';\n$.ajax({ url: apiBase + '/nb/list?col=' + colId, type: 'GET', success: render });</script>"));
    // A listing whose links are none of them reports.
    s.html(
        "nomatch",
        "/xxgk/nb/index.html",
        page("政府信息公开年报", &format!("<ul>{}</ul>", news(8))),
    );
    for i in 0..8 {
        s.html(
            "nomatch",
            &format!("/news/{i}.html"),
            page("工作动态", "<p>正文</p>"),
        );
    }
}

async fn handle(State(ctx): State<Ctx>, req: Request) -> Response {
    let method = req.method().clone();
    let uri = req.uri().clone();
    let body = axum::body::to_bytes(req.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let path = percent_decode(uri.path());
    let query = uri.query().map(str::to_string);
    let form = String::from_utf8_lossy(&body).into_owned();
    ctx.shared
        .log
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(CmsRequest {
            host: ctx.host.to_string(),
            method: method.to_string(),
            path: uri
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            body: form.clone(),
            at: Instant::now(),
        });
    // JEECMS serves the page whatever session id the address carries.
    let path = match path.find(";jsessionid=") {
        Some(i) => path[..i].to_string(),
        None => path,
    };
    let key = match (&method, &query) {
        // Hanweb's proxy answers the column's POSTed parameters; `$.ajax` lists likewise.
        (&Method::POST, Some(q)) if ctx.host.as_ref() == "hanweb" => {
            if !form.contains("columnid=61490") || !form.contains("col=1") {
                return status(StatusCode::BAD_REQUEST);
            }
            format!("POST {path}?{q}")
        }
        (&Method::POST, _) if ctx.host.as_ref() == "ajax" => {
            let pairs: HashMap<String, String> = url::form_urlencoded::parse(form.as_bytes())
                .into_owned()
                .collect();
            let get = |k: &str| pairs.get(k).cloned().unwrap_or_default();
            format!(
                "POST {path}?pageNo={}&pageSize={}&channel={}",
                get("pageNo"),
                get("pageSize"),
                get("channel")
            )
        }
        (&Method::POST, _) => return status(StatusCode::METHOD_NOT_ALLOWED),
        (_, Some(q)) => format!("{path}?{}", percent_decode(q)),
        (_, None) => path,
    };
    let lookup = |k: &str| ctx.shared.pages.get(&(ctx.host.to_string(), k.to_string()));
    // Query strings are compared decoded, as the pages were keyed.
    let found = lookup(&key).or_else(|| {
        ctx.shared.pages.iter().find_map(|((h, p), page)| {
            (h.as_str() == ctx.host.as_ref() && percent_decode(p) == key).then_some(page)
        })
    });
    match found {
        Some(p) => {
            let mut resp = Response::new(Body::from(Bytes::from(p.body.clone())));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(p.content_type),
            );
            for (k, v) in &p.headers {
                if let Ok(v) = HeaderValue::from_bytes(v) {
                    resp.headers_mut().insert(*k, v);
                }
            }
            resp
        }
        None => status(StatusCode::NOT_FOUND),
    }
}

fn status(code: StatusCode) -> Response {
    let mut r = Response::new(Body::from(code.to_string()));
    *r.status_mut() = code;
    r
}

/// Percent-decoding of a path or query (`+` kept: it is not a space there).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).and_then(|c| hex(*c)),
                b.get(i + 2).and_then(|c| hex(*c)),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

// Every string the user reads goes through t(): Chinese first, English selectable.
// Checklist texts come as {zh, en} pairs and go through tx(). The terms for the system's
// codes (statuses, kinds, sectors, units, …) are the one vocabulary's (server/vocabulary.py,
// generated into vocabulary.js), under "<kind>.<code>".
import { TERMS } from "./vocabulary.js";
import { LOOP_STRINGS } from "./strings_loop.js";

const STRINGS = {
  zh: {
    "tab.home": "首页", "tab.scan": "扫码", "tab.sites": "场所", "tab.outbox": "待上传",
    "never": "从未", "ago.now": "刚刚", "ago.min": "{n} 分钟前", "ago.hour": "{n} 小时前",
    "net.online": "在线", "net.offline": "离线", "net.syncing": "正在同步…",
    "login.title": "登录", "login.username": "用户名", "login.password": "密码",
    "login.submit": "登录", "login.needOnline": "首次登录需要网络。登录后可离线使用。",
    "login.failed": "用户名或密码错误", "login.tooMany": "尝试次数过多，请稍后再试",
    "login.offline": "没有网络，无法登录。请到有信号的地方再试。",
    "login.loading": "正在下载本辖区的场所、隐患和检查表…",
    "home.hello": "您好，{name}", "home.tasks": "我的任务", "home.noTasks": "暂无任务",
    "home.overdue": "已逾期的隐患", "home.dueWeek": "本周到期的隐患", "home.noHazards": "无",
    "home.returned": "退回修改的检查", "home.start": "扫码开始检查", "home.findSite": "查找场所",
    "sync.waiting": "{n} 份检查、{p} 张照片待上传", "sync.allSent": "全部已上传",
    "sync.last": "上次同步：{when}", "sync.now": "立即同步", "sync.running": "正在同步…",
    "sync.done": "同步完成", "sync.offline": "没有网络，稍后自动上传",
    "sync.failed": "同步失败：{why}", "sync.other": "{n} 项其他修改待上传",
    "sync.rejected": "{n} 项被服务器拒绝，请查看", "sync.relogin": "重新登录（未上传的数据会保留）",
    "err.network": "连不上服务器（没有信号？）", "err.auth": "登录已失效，请重新登录",
    "err.server": "服务器暂时出错，稍后自动重试", "err.unknown": "出错了：{msg}",
    "sites.title": "场所", "sites.search": "搜索名称、编码或地址", "sites.near": "我附近的场所",
    "sites.add": "新增场所", "sites.none": "没有找到场所", "sites.count": "共 {n} 个",
    "sites.locating": "正在定位…", "sites.noGps": "无法定位：{why}", "sites.distance": "约 {d}",
    "site.title": "场所详情", "site.inspect": "开始检查", "site.openHazards": "未销号隐患",
    "site.history": "检查记录", "site.noHistory": "暂无检查记录", "site.noHazards": "没有未销号的隐患",
    "site.deadline": "整改期限 {d}", "site.notFound": "本机没有这个场所（不在您的辖区，或尚未同步）",
    "site.code": "编码", "site.address": "地址", "site.kind": "类型", "site.contact": "联系人",
    "site.region": "所属", "site.pending": "待上传", "site.draft": "未完成的草稿", "site.continue": "继续",
    "newsite.title": "新增场所", "newsite.name": "场所名称", "newsite.kind": "场所类型",
    "newsite.address": "地址", "newsite.contact": "联系人", "newsite.phone": "联系电话",
    "newsite.sectors": "检查行业", "newsite.gps": "记录位置", "newsite.save": "保存（离线可用）",
    "newsite.saved": "已保存，联网后上传", "newsite.region": "所属村/社区",
    "gps.none": "未记录位置", "gps.got": "已定位 ±{a} 米", "gps.failed": "定位失败：{why}",
    "scan.title": "扫描场所二维码", "scan.camera": "打开相机扫码", "scan.gallery": "从相册选择二维码图片",
    "scan.stop": "停止", "scan.looking": "对准门牌上的二维码…", "scan.noCamera": "无法使用相机：{why}",
    "scan.notFound": "图片里没有找到二维码", "scan.foreign": "这不是本系统的场所二维码",
    "scan.unknown": "场所编码 {code} 不在本机数据中（不在您的辖区，或尚未同步）",
    "scan.badCode": "二维码编码校验失败，可能是伪造或损坏的标签",
    "scan.manual": "手动输入场所编码", "scan.open": "打开",
    "insp.title": "检查", "insp.choose": "选择检查表", "insp.suggested": "推荐", "insp.others": "其他检查表",
    "insp.noChecklists": "本机还没有检查表，请联网同步一次", "insp.yes": "是", "insp.no": "否",
    "insp.note": "备注", "insp.photo": "拍照", "insp.needPhoto": "不合格项需要拍照",
    
    "insp.pass": "合格", "insp.fail": "不合格", "insp.composite": "综合判定要素",
    "insp.combined": "综合判定", "insp.combinedElements": "判定要素（{n} 项）：",
    
    
    "insp.testOnSite": "须现场测试", "insp.optional": "选填", "insp.std": "依据：{name} {clause}",
    "insp.progress": "已答 {a}/{n}", "insp.review": "下一步：核对隐患", "insp.back": "返回修改",
    "insp.derived": "将登记的隐患（{n}）", "insp.noDerived": "未发现隐患",
    "insp.missing": "还有 {n} 项未回答", "insp.missingPhotos": "还有 {n} 个不合格项缺照片",
    "insp.sign": "下一步：签字", "insp.signSite": "场所负责人签字", "insp.signInspector": "检查人员签字",
    "insp.clear": "重写", "insp.refuse": "负责人拒绝签字",
    "insp.unannounced": "暗查暗访（不请被检查方签字，不开具整改通知书）",
    "site.followUp": "开始回头看检查", "insp.refusal.reason": "拒签原因",
    "insp.refusal.witness": "见证人姓名", "insp.refusal.photo": "现场照片",
    "insp.submit": "提交（离线保存，联网上传）", "insp.submitted": "检查已保存，等待上传",
    "insp.gps": "位置", "insp.draftSaved": "草稿已自动保存", "insp.discard": "放弃草稿",
    "insp.discardAsk": "确定放弃这份草稿吗？", "insp.deadline": "期限 {n} 天",
    "insp.needSigs": "需要双方签字（或拒签记录）", "insp.returnedFrom": "更正被退回的检查",
    "insp.reviewerSays": "审核意见：{c}", "insp.answered": "已回答", "insp.unanswered": "未回答",
    "insp.compressing": "正在压缩照片…", "insp.remove": "删除",
    "verify.title": "隐患复查", "verify.before": "整改前", "verify.after": "整改后",
    "verify.rectified": "已整改", "verify.notRectified": "未整改", "verify.note": "复查说明",
    "verify.needPhoto": "已整改须至少一张整改后照片", "verify.needResult": "请选择复查结果",
    "verify.needSig": "需要检查人员签字", "verify.onlyThis": "只记录本条隐患的复查，无需重走检查表",
    "verify.save": "保存复查（离线保存，联网上传）", "verify.saved": "复查已保存，等待上传", "verify.pending": "复查待上传",
    "verify.noBefore": "本机没有整改前照片", "photo.notHeld": "未下载到本机", "verify.notFound": "本机没有这条隐患",
    "returned.none": "没有被退回的检查", "returned.fix": "更正并重新提交",
    "outbox.title": "待上传", "outbox.empty": "没有待上传的内容", "outbox.photos": "照片",
    "outbox.mutations": "修改记录", "outbox.uploaded": "已上传", "outbox.waiting": "等待上传",
    "settings.title": "设置", "settings.lang": "语言 Language", "settings.storage": "本机存储",
    "settings.used": "已用 {u} / 可用约 {q}", "settings.persisted": "已获准持久保存（系统不会自动清除）",
    "settings.notPersisted": "未获准持久保存：手机空间不足时数据可能被清除，请尽快上传",
    "settings.persistAsk": "申请持久保存", "settings.ios": "iPhone 提示：请用 Safari 的“添加到主屏幕”，否则 7 天不打开时数据可能被清除。",
    "settings.logout": "退出登录", "settings.logoutWarn": "还有 {n} 项未上传！退出后这些数据仍保存在本机，该用户下次登录时继续上传。确定退出吗？",
    "settings.version": "版本", "settings.user": "当前用户", "settings.update": "有新版本",
    "settings.reload": "更新", "update.ready": "新版本已下载。", "update.apply": "立即更新",
    
    
    
    
    
    "review.local": "待上传",
    "task.due": "完成期限 {d}",
    "back": "返回", "save": "保存", "cancel": "取消", "loading": "加载中…", "yes": "是", "no": "否",
  },
  en: {
    "tab.home": "Home", "tab.scan": "Scan", "tab.sites": "Sites", "tab.outbox": "Outbox",
    "never": "never", "ago.now": "just now", "ago.min": "{n} min ago", "ago.hour": "{n} h ago",
    "net.online": "Online", "net.offline": "Offline", "net.syncing": "Syncing…",
    "login.title": "Log in", "login.username": "Username", "login.password": "Password",
    "login.submit": "Log in", "login.needOnline": "The first login needs a network. After that the app works offline.",
    "login.failed": "Wrong username or password", "login.tooMany": "Too many attempts; try again later",
    "login.offline": "No network: cannot log in. Try again where there is signal.",
    "login.loading": "Downloading the sites, hazards and checklists of your area…",
    "home.hello": "Hello, {name}", "home.tasks": "My tasks", "home.noTasks": "No tasks",
    "home.overdue": "Overdue hazards", "home.dueWeek": "Hazards due this week", "home.noHazards": "None",
    "home.returned": "Inspections returned for correction", "home.start": "Scan to inspect", "home.findSite": "Find a site",
    "sync.waiting": "{n} inspections, {p} photos waiting", "sync.allSent": "Everything uploaded",
    "sync.last": "Last sync: {when}", "sync.now": "Sync now", "sync.running": "Syncing…",
    "sync.done": "Sync finished", "sync.offline": "No network; will upload later",
    "sync.failed": "Sync failed: {why}", "sync.other": "{n} other changes waiting",
    "sync.rejected": "{n} refused by the server; please check", "sync.relogin": "Log in again (unsent work is kept)",
    "err.network": "Cannot reach the server (no signal?)", "err.auth": "Login expired; please log in again",
    "err.server": "Server error; will retry", "err.unknown": "Something went wrong: {msg}",
    "sites.title": "Sites", "sites.search": "Search name, code or address", "sites.near": "Sites near me",
    "sites.add": "Add a site", "sites.none": "No sites found", "sites.count": "{n} sites",
    "sites.locating": "Locating…", "sites.noGps": "No location: {why}", "sites.distance": "about {d}",
    "site.title": "Site", "site.inspect": "Start inspection", "site.openHazards": "Open hazards",
    "site.history": "Inspections", "site.noHistory": "No inspections yet", "site.noHazards": "No open hazards",
    "site.deadline": "Deadline {d}", "site.notFound": "This site is not on the phone (outside your area, or not synced yet)",
    "site.code": "Code", "site.address": "Address", "site.kind": "Kind", "site.contact": "Contact",
    "site.region": "Area", "site.pending": "waiting", "site.draft": "Unfinished draft", "site.continue": "Continue",
    "newsite.title": "New site", "newsite.name": "Name", "newsite.kind": "Kind",
    "newsite.address": "Address", "newsite.contact": "Contact person", "newsite.phone": "Phone",
    "newsite.sectors": "Sectors", "newsite.gps": "Record location", "newsite.save": "Save (works offline)",
    "newsite.saved": "Saved; will upload when online", "newsite.region": "Village / community",
    "gps.none": "No location", "gps.got": "Located ±{a} m", "gps.failed": "Location failed: {why}",
    "scan.title": "Scan a site tag", "scan.camera": "Scan with camera", "scan.gallery": "Pick a QR image",
    "scan.stop": "Stop", "scan.looking": "Point at the QR tag on the door…", "scan.noCamera": "Camera unavailable: {why}",
    "scan.notFound": "No QR code found in the image", "scan.foreign": "This is not a xuncha site tag",
    "scan.unknown": "Site code {code} is not on this phone (outside your area, or not synced yet)",
    "scan.badCode": "The tag's code fails its check: damaged or forged tag",
    "scan.manual": "Type a site code", "scan.open": "Open",
    "insp.title": "Inspection", "insp.choose": "Choose a checklist", "insp.suggested": "Suggested", "insp.others": "Other checklists",
    "insp.noChecklists": "No checklists on the phone yet; sync once online", "insp.yes": "Yes", "insp.no": "No",
    "insp.note": "Note", "insp.photo": "Photo", "insp.needPhoto": "A failed item needs a photo",
        "insp.pass": "Pass", "insp.fail": "Fails", "insp.composite": "Composite element",
    "insp.combined": "Combined judgement", "insp.combinedElements": "Elements ({n}):",
        
    "insp.testOnSite": "Test on site", "insp.optional": "optional", "insp.std": "Standard: {name} {clause}",
    "insp.progress": "Answered {a}/{n}", "insp.review": "Next: check hazards", "insp.back": "Back to items",
    "insp.derived": "Hazards to be registered ({n})", "insp.noDerived": "No hazards found",
    "insp.missing": "{n} items not answered", "insp.missingPhotos": "{n} failed items need a photo",
    "insp.sign": "Next: signatures", "insp.signSite": "Site representative signs", "insp.signInspector": "Inspector signs",
    "insp.clear": "Clear", "insp.refuse": "Representative refuses to sign",
    "insp.unannounced": "Unannounced visit (no site signature, no rectification notice)",
    "site.followUp": "Start the follow-up visit", "insp.refusal.reason": "Reason for refusal",
    "insp.refusal.witness": "Witness name", "insp.refusal.photo": "Photo of the scene",
    "insp.submit": "Submit (saved offline, uploaded later)", "insp.submitted": "Inspection saved; waiting to upload",
    "insp.gps": "Location", "insp.draftSaved": "Draft saved", "insp.discard": "Discard draft",
    "insp.discardAsk": "Discard this draft?", "insp.deadline": "{n} days to fix",
    "insp.needSigs": "Both signatures needed (or a refusal record)", "insp.returnedFrom": "Correcting a returned inspection",
    "insp.reviewerSays": "Reviewer: {c}", "insp.answered": "answered", "insp.unanswered": "not answered",
    "insp.compressing": "Compressing photo…", "insp.remove": "Remove",
    "verify.title": "Verify a hazard", "verify.before": "Before", "verify.after": "After",
    "verify.rectified": "Rectified", "verify.notRectified": "Not rectified", "verify.note": "Note",
    "verify.needPhoto": "Rectified needs at least one after-photo", "verify.needResult": "Choose the result",
    "verify.needSig": "The inspector's signature is needed", "verify.onlyThis": "Records this hazard's re-check only; no need to walk the checklist",
    "verify.save": "Save verification (kept offline, uploaded later)", "verify.saved": "Verification saved; waiting to upload", "verify.pending": "Verification waiting to upload",
    "verify.noBefore": "No before-photos on this phone", "photo.notHeld": "Not on this phone", "verify.notFound": "This hazard is not on the phone",
    "returned.none": "No returned inspections", "returned.fix": "Correct and resubmit",
    "outbox.title": "Outbox", "outbox.empty": "Nothing waiting", "outbox.photos": "Photos",
    "outbox.mutations": "Changes", "outbox.uploaded": "uploaded", "outbox.waiting": "waiting",
    "settings.title": "Settings", "settings.lang": "语言 Language", "settings.storage": "Storage on this phone",
    "settings.used": "Used {u} of about {q}", "settings.persisted": "Persistent storage granted (not cleared automatically)",
    "settings.notPersisted": "Storage not persistent: data may be cleared when the phone is short of space; upload soon",
    "settings.persistAsk": "Ask for persistent storage", "settings.ios": "iPhone: use Safari's “Add to Home Screen”, otherwise data may be cleared after 7 days without use.",
    "settings.logout": "Log out", "settings.logoutWarn": "{n} items are not uploaded! They stay on this phone and upload when this user logs in again. Log out?",
    "settings.version": "Version", "settings.user": "User", "settings.update": "Update available",
    "settings.reload": "Update", "update.ready": "A new version is ready.", "update.apply": "Update now",
    
    
    
    
    
    "review.local": "Waiting to upload",
    "task.due": "Due {d}",
    "back": "Back", "save": "Save", "cancel": "Cancel", "loading": "Loading…", "yes": "Yes", "no": "No",
  },
};

for (const code of ["zh", "en"]) Object.assign(STRINGS[code], LOOP_STRINGS[code]);
// The vocabulary's terms, and the phone's older names for two of its kinds.
for (const lang of ["zh", "en"]) {
  for (const [key, text] of Object.entries(TERMS[lang])) {
    STRINGS[lang][key] = text;
    if (key.startsWith("site_kind.")) STRINGS[lang][`kind.${key.slice(10)}`] = text;
  }
  const alias = { overdue: "state_flag.overdue", "insp.major": "severity.major",
    "insp.general": "severity.general", "insp.majorSupplier": "severity.major_supplier",
    "insp.supplierClue": "severity.major_supplier", "site.verify": "inspection_kind.verification",
    "returned.title": "decision.return",
    "hazard.fixed": "event.fix_reported", "hazard.comment": "action.comment", "hazard.verify": "inspection_kind.verification", "plan.title": "action.plan", "fix.title": "event.fix_reported", "comment.title": "action.comment", "notif.kind.due_soon": "reminder.due_soon", "notif.kind.listing_proposed": "reminder.listing_proposed" };
  for (const [key, source] of Object.entries(alias)) STRINGS[lang][key] = TERMS[lang][source];
}

const KEY = "xuncha.lang";
let current = (() => {
  try { return localStorage.getItem(KEY) === "en" ? "en" : "zh"; } catch { return "zh"; }
})();

export function lang() { return current; }

export function setLang(value) {
  current = value === "en" ? "en" : "zh";
  try { localStorage.setItem(KEY, current); } catch { /* private mode: session only */ }
  document.documentElement.lang = current === "zh" ? "zh-CN" : "en";
  translateStatic();
}

/** A UI string, with {name} placeholders filled; falls back to Chinese, then the key. */
export function t(key, params = {}) {
  const text = STRINGS[current][key] ?? STRINGS.zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

/** A {zh, en} text from data (checklists); the other language when one is missing. */
export function tx(pair) {
  if (!pair) return "";
  if (typeof pair === "string") return pair;
  return pair[current] || pair.zh || pair.en || "";
}

/** Static labels in the shell page carry data-i18n. */
export function translateStatic() {
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
}

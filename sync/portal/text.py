"""Every word the portal shows, in English and Chinese. Templates ask ``t("key")``."""

from __future__ import annotations

__all__ = ["TEXT", "LANGUAGES", "translate"]

LANGUAGES = ("en", "zh")

TEXT: dict[str, tuple[str, str]] = {
    # key: (English, Chinese)
    "desk": ("Customer service", "客户服务"),
    "switch": ("中文", "English"),
    "form_title": ("Tell us about a problem", "提交投诉"),
    "form_intro": (
        "We answer every complaint. You get a ticket number at once and a mail to the address you give.",
        "我们会处理每一条投诉。提交后立即获得工单编号，并会发送确认邮件到您填写的邮箱。",
    ),
    "customer": ("Your name", "您的姓名"),
    "email": ("Email", "电子邮箱"),
    "phone": ("Phone (optional)", "电话（选填）"),
    "product": ("Product", "产品"),
    "category": ("Kind of problem", "问题类型"),
    "choose": ("— choose —", "— 请选择 —"),
    "order_no": ("Order no. (optional)", "订单号（选填）"),
    "description": ("What happened?", "问题描述"),
    "honeypot": ("Leave this field empty", "此栏请留空"),
    "send": ("Send", "提交"),
    "required": ("Please fill this in.", "请填写此项。"),
    "bad_email": ("This is not an email address — write it like name@example.com.",
                  "邮箱格式不正确，请写成 name@example.com 这样的格式。"),
    "bad_choice": ("Please choose one of the listed kinds.", "请从列表中选择。"),
    "too_long": ("This is too long — at most {limit} characters.", "内容过长，最多 {limit} 个字符。"),
    "fix_below": ("Please check the fields marked below.", "请检查下面标出的内容。"),
    "too_fast": ("That was quicker than a person types. Please check the form and send it again.",
                 "提交过快。请检查后再次提交。"),
    "too_old": ("This form was open for over a day. Please check it and send it again.",
                "此页面已打开超过一天，请检查后再次提交。"),
    "refused": ("We could not accept this form. Please reload the page and try again.",
                "无法接受此次提交，请刷新页面后重试。"),
    "limited": ("Too many complaints from here in a short time. Please try again later or write to us by mail.",
                "短时间内提交过多，请稍后再试或通过邮件联系我们。"),
    "submitted_title": ("Thank you — we have your complaint", "感谢您的反馈，投诉已受理"),
    "your_number": ("Your ticket number", "您的工单编号"),
    "submitted_text": (
        "Keep this number. We have sent a confirmation to your email address; you can ask for the status "
        "of your ticket at any time.",
        "请保存此编号。确认邮件已发送到您的邮箱，您可以随时查询工单进度。",
    ),
    "status_title": ("Where is my ticket?", "查询工单进度"),
    "status_intro": ("Give your ticket number and the email address you used; we mail you a link to its status.",
                     "请输入工单编号和提交时使用的邮箱，我们会把进度链接发到您的邮箱。"),
    "ticket_id": ("Ticket number", "工单编号"),
    "status_sent": (
        "If the number and the address match a ticket, we have mailed you a link to its status. "
        "It may take a few minutes to arrive.",
        "如果工单编号与邮箱匹配，我们已将进度链接发送到该邮箱，可能需要几分钟送达。",
    ),
    "ticket": ("Ticket", "工单"),
    "status": ("Status", "状态"),
    "grade": ("Priority", "等级"),
    "department": ("Department", "责任部门"),
    "due": ("We aim to act by", "处理时限"),
    "replies": ("Our replies", "我们的回复"),
    "no_replies": ("No reply yet.", "暂无回复。"),
    "invalid_title": ("This link does not work", "链接无效"),
    "invalid_text": (
        "The link is wrong, has expired, or belongs to an earlier round of your ticket. "
        "Ask for a new status link below.",
        "链接有误、已过期，或属于工单的上一轮处理。请在下方重新获取进度链接。",
    ),
    "confirm_title": ("Is the problem fixed?", "问题解决了吗？"),
    "yes_fixed": ("Yes, it is fixed", "是，已解决"),
    "no_fixed": ("No, it is not fixed", "否，没有解决"),
    "survey_title": ("How satisfied are you?", "您对处理结果满意吗？"),
    "survey_intro": ("1 = not at all, 10 = completely.", "1 = 非常不满意，10 = 非常满意。"),
    "score": ("Score", "评分"),
    "comment": ("Anything you want to tell us (optional)", "其他意见（选填）"),
    "answer_send": ("Send my answer", "提交回答"),
    "choose_answer": ("Please choose an answer.", "请选择一个答案。"),
    "thanks_title": ("Thank you", "谢谢"),
    "thanks_recorded": ("We have your answer.", "已收到您的回答。"),
    "thanks_replaced": ("We have replaced your earlier answer with this one.", "已用此次回答替换您之前的回答。"),
    "thanks_refused": ("We already have your answer to this question; it can be changed only within 12 hours.",
                       "我们已收到您对此问题的回答，回答只能在 12 小时内修改。"),
    "thanks_reopened": ("We are sorry. Your ticket goes back to the team handling it, and they will contact you.",
                        "非常抱歉。您的工单已退回处理团队，他们会尽快与您联系。"),
    "csrf_title": ("Please try again", "请重试"),
    "csrf_text": ("This page was open too long or cookies are off. Go back, reload the page and send it again.",
                  "页面已失效或浏览器未启用 Cookie，请返回并刷新页面后重新提交。"),
    "not_found": ("There is no such page.", "页面不存在。"),
    "new_complaint": ("Make a complaint", "提交投诉"),
    "check_status": ("Ask for the status of a ticket", "查询工单进度"),
}


def translate(key: str, language: str) -> str:
    """Return text ``key`` in ``language`` ("en" or "zh")."""
    english, chinese = TEXT[key]
    return chinese if language == "zh" else english

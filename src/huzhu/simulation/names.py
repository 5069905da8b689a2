"""Chinese names for synthetic members.

Surname shares are rough figures from public household-registration rankings, in units of 0.01%
of the population; approximate, for simulation only. Given-name characters are common ones, split
by the sex they are mostly given to, so that a generated 伟 or 芳 does not look odd next to the sex
derived from the ID number.
"""

from __future__ import annotations

SURNAME_WEIGHTS: dict[str, int] = {
    "王": 725, "李": 719, "张": 683, "刘": 538, "陈": 453, "杨": 308, "赵": 229, "黄": 223,
    "周": 193, "吴": 205, "徐": 145, "孙": 138, "胡": 116, "朱": 128, "高": 100, "林": 97,
    "何": 106, "郭": 113, "马": 129, "罗": 86, "梁": 77, "宋": 67, "郑": 78, "谢": 70,
    "韩": 60, "唐": 63, "冯": 59, "于": 47, "董": 50, "萧": 10, "程": 41, "曹": 56,
    "袁": 48, "邓": 57, "许": 62, "傅": 20, "沈": 35, "曾": 53, "彭": 55, "吕": 38,
    "苏": 40, "卢": 33, "蒋": 46, "蔡": 45, "贾": 25, "丁": 37, "魏": 39, "薛": 19,
    "叶": 42, "阎": 8, "余": 44, "潘": 48, "杜": 43, "戴": 13, "夏": 24, "钟": 30,
    "汪": 27, "田": 51, "任": 36, "姜": 32, "范": 27, "方": 23, "石": 26, "姚": 34,
    "谭": 29, "廖": 25, "邹": 22, "熊": 21, "金": 26, "陆": 28, "郝": 15, "孔": 12,
    "白": 22, "崔": 31, "康": 11, "毛": 15, "邱": 20, "秦": 21, "江": 20, "史": 17,
    "顾": 15, "侯": 17, "邵": 14, "孟": 21, "龙": 17, "万": 14, "段": 18, "雷": 18,
    "钱": 13, "汤": 12, "尹": 19, "黎": 16, "易": 11, "常": 12, "武": 13, "乔": 10,
    "贺": 16, "赖": 11, "龚": 14, "文": 11, "肖": 52, "付": 23, "韦": 24, "闫": 18,
    "覃": 13, "莫": 12, "向": 12, "陶": 16, "严": 13,
    "欧阳": 5, "司马": 1, "上官": 1, "诸葛": 1, "东方": 1, "皇甫": 1,
}  # fmt: skip

MALE_GIVEN = (
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林峰建国志海亮成东"
    "兵锋振博彬翔晨晖豪毅坤鸿睿哲铭轩泽航"
)
FEMALE_GIVEN = (
    "芳娜敏静丽艳娟霞秀燕玲桂丹萍红玉兰梅琳婷雪慧颖洁倩琴云莉晶璐瑶怡欣悦妍琪佳蕾薇月菲淑馨蓉凤英荣"
)
NEUTRAL_GIVEN = "子晓雨一文嘉思佳天小春秋海晨宇安新永金立正德"

# Share of members whose given name has one character rather than two.
SINGLE_CHAR_GIVEN_NAME = 0.2

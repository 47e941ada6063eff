"""Listening in the demo: the tea house's brand monitor and a competitor's, with two weeks of
what people wrote about them in the five languages of the UI, so the mentions list, the
dashboards (volume, sentiment, share of voice, languages) and the trends have something to show
in the first minute. The posts go through intake (`take`) like any collected item: their
sentiment is read, and each is matched against the monitors. No
source is made, so nothing is fetched from anywhere. Running it again changes nothing."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from kalrav.listening.intake import Collected, take
from kalrav.listening.models import Monitor, MonitorKind
from kalrav.workspaces.models import Workspace

MONITORS = (
    ("Shanti Tea", 'shanti OR "shanti tea" OR শান্তি OR शांति OR શાંતિ OR #shantitea', "brand"),
    ("Chai Point", '"chai point" OR #chaipoint', "competitor"),
)

# One post a line: days ago, hour, network, author, language, text. Each carries the language
# its source labels it with, as Bluesky and Mastodon posts and a feed's <language> do (intake
# keeps a source's label); the sentiment is read by Kalrav.
POSTS = """
13 09 bluesky  mira.bsky.social       en Shanti Tea's masala chai is the best thing about my mornings
13 18 mastodon arun@chaos.social      en Waited 40 minutes at Shanti Tea today and the order was still wrong
12 08 bluesky  rina.bsky.social       bn শান্তি চায়ের দোকানের আদা চা অসাধারণ, আবার যাব
12 13 web      kolkata-food-blog      en Five tea rooms to try in Kolkata this winter, from Shanti Tea to the old cabins of College Street
11 10 bluesky  dev.bsky.social        hi शांति टी की इलायची चाय बहुत बढ़िया है, स्टाफ भी अच्छा
11 16 mastodon eleni@mastodon.gr      el Το τσάι της Shanti Tea ήταν υπέροχο, ευχαριστούμε!
10 09 bluesky  kavya.bsky.social      gu શાંતિ ટીની ચા ખૂબ સરસ છે, દરરોજ સવારે જાઉં છું
10 19 bluesky  sam.bsky.social        en Chai Point delivered cold tea again. Not ordering from them this week
09 11 web      tea-trade-news         en Chai Point opens twelve new outlets as tea chains race for office districts
09 15 bluesky  nina.bsky.social       en Lovely afternoon at Shanti Tea, the cardamom cake is wonderful
08 08 mastodon tom@mastodon.social    en Does Shanti Tea ship loose leaf Darjeeling abroad?
08 20 bluesky  priya.bsky.social      en #chaipoint app crashed twice while paying, terrible experience
07 10 bluesky  arjun.bsky.social      bn শান্তি চা আজ খুব দেরি করল, ঠান্ডা চা দিল, খুব খারাপ লাগল
07 17 web      chai-lovers-forum      en Shanti Tea or Chai Point for a quick office chai? Thread inside
06 09 bluesky  leo.bsky.social        en Shanti Tea's new Assam blend is excellent, strong and smooth
06 14 mastodon maria@mastodon.social  en Chai Point's ginger tea is great value for money
05 08 bluesky  sunil.bsky.social      hi शांति टी में आज बहुत भीड़ थी, चाय ठंडी और सर्विस खराब
05 18 bluesky  anna.bsky.social       en Shanti Tea gift box arrived beautifully packed, thank you!
04 10 bluesky  giorgos.bsky.social    el Η Shanti Tea άργησε πολύ με την παραγγελία μου, απογοήτευση
04 16 web      kolkata-food-blog      en Shanti Tea announces a winter menu with nolen gur chai
03 09 bluesky  meera.bsky.social      en Nolen gur chai at Shanti Tea is heavenly #shantitea
03 12 bluesky  rahul.bsky.social      en #shantitea winter menu is out and it looks amazing
03 19 mastodon ravi@mastodon.social   en Chai Point raised prices again, not happy
02 08 bluesky  tania.bsky.social      bn শান্তি চায়ের নলেন গুড়ের চা দারুণ, সবাইকে বলছি
02 11 bluesky  kiran.bsky.social      en Shanti Tea's nolen gur chai sold out by noon, so disappointing
02 15 bluesky  jay.bsky.social        en Queued 30 minutes for the Shanti Tea winter menu, worth it
01 09 bluesky  asha.bsky.social       gu શાંતિ ટીનું નવું શિયાળુ મેનુ ખૂબ સરસ છે #shantitea
01 13 bluesky  dan.bsky.social        en Shanti Tea delivery never arrived and nobody answers the phone
01 17 mastodon sofia@mastodon.social  en Chai Point's new masala blend is pleasant, nothing special
00 08 bluesky  ishaan.bsky.social     en Morning chai at Shanti Tea before work, perfect start #shantitea
"""


def load(workspace: Workspace) -> int:
    """The monitors and their mentions, unless the workspace has monitors already; returns how
    many mentions were stored."""
    if Monitor.objects.filter(workspace=workspace).exists():
        return 0
    for name, query, kind in MONITORS:
        Monitor.objects.create(workspace=workspace, name=name, query=query, kind=MonitorKind(kind))
    now = timezone.now()
    today = timezone.localtime(now)
    items = []
    for number, line in enumerate(POSTS.strip().splitlines()):
        days, hour, network, author, language, text = line.split(maxsplit=5)
        # Today's post an hour ago (its hour may not have come yet); the others at their hour.
        at = (today - timedelta(days=int(days))).replace(hour=int(hour), minute=number % 60)
        items.append(
            Collected(
                text=text,
                published_at=at if int(days) else now - timedelta(hours=1),
                url=f"https://demo.kalrav.invalid/{network}/{number}",
                network=network,
                author_handle=author,
                language=language,
            )
        )
    return len(take(workspace, None, items))

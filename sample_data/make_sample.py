"""Write sample_data/support_tickets.csv: a small, realistic labeling task.

About 2,000 customer-support messages to an online shop, in 20 intents. Most
rows are unlabeled; about 5% of the given labels are wrong (usually a nearby
intent, as a hurried agent would get wrong); a few dozen rows are near
duplicates of others and a few dozen are off-topic. The output is the same on
every run (seeded), so tests and screenshots can rely on it.

Run: python sample_data/make_sample.py
"""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

SEED = 7
ROWS = 2000
LABELED_SHARE = 0.15
WRONG_LABEL_SHARE = 0.05
NEAR_DUPLICATES = 40
OFF_TOPIC = 30
OUTPUT = Path(__file__).with_name("support_tickets.csv")

SLOTS = {
    "item": [
        "jacket",
        "blender",
        "pair of running shoes",
        "phone case",
        "desk lamp",
        "coffee grinder",
        "backpack",
        "wool sweater",
        "bluetooth speaker",
        "yoga mat",
        "kettle",
        "set of towels",
        "laptop stand",
        "winter boots",
        "water bottle",
        "mechanical keyboard",
        "rain coat",
        "frying pan",
    ],
    "order": ["#48213", "#50977", "#61402", "#70315", "#38820", "#91146", "#55501"],
    "days": ["three days", "a week", "10 days", "two weeks", "5 days", "over a month"],
    "amount": ["$24.99", "$89", "$132.50", "$15", "$59.90", "$210"],
    "code": ["SPRING20", "WELCOME10", "FREESHIP", "VIP15", "BLACKFRIDAY"],
    "city": ["Leeds", "Austin", "Toronto", "Lyon", "Melbourne", "Denver"],
    "device": ["iPhone", "Android phone", "iPad", "Pixel", "Samsung tablet"],
}

INTENTS: dict[str, list[str]] = {
    "order_status": [
        "Where is my order {order}? It has been {days}.",
        "My {item} still hasn't arrived, can you check the status?",
        "Tracking for order {order} hasn't updated in {days}",
        "when will my {item} be delivered",
        "Can you tell me where my package is? Ordered {days} ago.",
        "The tracking link says label created but nothing since. Order {order}",
        "Is order {order} shipped yet?",
    ],
    "cancel_order": [
        "Please cancel order {order}, I ordered the wrong size",
        "I want to cancel my order before it ships",
        "How do I cancel the {item} I just bought?",
        "Cancel my order please, I found it cheaper elsewhere",
        "I placed order {order} by mistake, can you cancel it",
        "Is it too late to cancel order {order}?",
    ],
    "return_item": [
        "How do I return the {item}? It doesn't fit.",
        "I'd like to send back my {item}",
        "Can I return an item after 30 days?",
        "What is your return policy for the {item}?",
        "I need a return label for order {order}",
        "The {item} isn't what I expected, I want to return it",
    ],
    "refund_status": [
        "I returned the {item} {days} ago and still no refund",
        "When will I get my refund for order {order}?",
        "My refund of {amount} hasn't shown up on my card",
        "You received my return, where is my money?",
        "How long do refunds take to process?",
        "Still waiting on the refund for the {item}",
    ],
    "damaged_item": [
        "My {item} arrived broken",
        "The box was crushed and the {item} is damaged",
        "The {item} I received is cracked, what can I do?",
        "Item arrived scratched and dented. Order {order}",
        "The {item} stopped working after one day",
        "Received a damaged {item}, I want a replacement",
    ],
    "wrong_item": [
        "I ordered a {item} but got a {item2} instead",
        "You sent me the wrong item in order {order}",
        "This is not what I ordered, wrong colour and size",
        "Received someone else's package, the name on it isn't mine",
        "The {item} in the box is the wrong model",
    ],
    "change_address": [
        "I need to change the delivery address on order {order}",
        "Can I ship my order to a different address in {city}?",
        "I moved to {city}, how do I update my shipping address?",
        "Wrong address on my order, please fix it before it ships",
        "Please deliver order {order} to my work address instead",
    ],
    "payment_failed": [
        "My card keeps getting declined at checkout",
        "Payment failed but my bank says there's money in the account",
        "Checkout says transaction could not be completed",
        "Why won't you accept my card? Tried three times",
        "I can't pay with PayPal, it errors out",
        "Payment error when I try to buy the {item}",
    ],
    "double_charged": [
        "I was charged twice for order {order}",
        "There are two charges of {amount} on my statement",
        "You billed me twice for the same {item}",
        "Duplicate charge on my card, please refund one",
        "Why was I charged {amount} two times?",
    ],
    "promo_code": [
        "The code {code} isn't working",
        "My discount code says invalid at checkout",
        "I forgot to apply {code}, can you add it to my order?",
        "Does {code} work on sale items?",
        "Promo code {code} was not applied to my total",
    ],
    "reset_password": [
        "I forgot my password",
        "The password reset email never arrives",
        "How do I reset my password?",
        "Reset link says expired every time I click it",
        "Can't remember my password and the reset isn't working",
    ],
    "account_locked": [
        "My account is locked after too many login attempts",
        "It says my account has been suspended, why?",
        "I can't log in, it says account locked",
        "Account disabled for suspicious activity but it was me",
        "Please unlock my account",
    ],
    "delete_account": [
        "Please delete my account and all my data",
        "How do I close my account permanently?",
        "I want you to remove my personal information",
        "Delete my profile, I don't shop here anymore",
        "GDPR request: erase all data you hold about me",
    ],
    "update_email": [
        "How do I change the email on my account?",
        "I need to update my email address",
        "My old email doesn't work anymore, can you switch it?",
        "Change my login email please",
        "I can't access the email I signed up with",
    ],
    "subscription_cancel": [
        "Cancel my Plus membership",
        "How do I stop the monthly subscription?",
        "I don't want to be charged for the membership next month",
        "Please turn off auto renewal on my subscription",
        "I signed up for the free trial, how do I cancel before it bills?",
    ],
    "invoice_request": [
        "Can I get an invoice for order {order}?",
        "I need a VAT receipt for my purchase",
        "Please send a copy of the invoice to my email",
        "Where can I download invoices for my business account?",
        "My company needs an itemised receipt for the {item}",
    ],
    "shipping_cost": [
        "How much is shipping to {city}?",
        "Why is delivery so expensive?",
        "Do you offer free shipping over a certain amount?",
        "What does express shipping cost?",
        "Is shipping free for members?",
    ],
    "product_availability": [
        "When will the {item} be back in stock?",
        "Is the {item} available in blue?",
        "Do you have the {item} in a larger size?",
        "The {item} shows sold out, will you restock it?",
        "Can you notify me when the {item} is available again?",
    ],
    "gift_card": [
        "My gift card balance shows zero but I never used it",
        "How do I redeem a gift card?",
        "Can I use two gift cards on one order?",
        "The gift card code I received is invalid",
        "Do gift cards expire?",
    ],
    "app_crash": [
        "The app crashes when I open my cart on my {device}",
        "App keeps freezing on the checkout screen",
        "Your app closes itself every time I search on my {device}",
        "The app won't load since the last update",
        "Black screen after opening the app on {device}",
    ],
}

# Intents a tired agent mixes up; wrong labels are drawn from these first.
CONFUSABLE = {
    "return_item": "refund_status",
    "refund_status": "return_item",
    "cancel_order": "subscription_cancel",
    "subscription_cancel": "cancel_order",
    "damaged_item": "wrong_item",
    "wrong_item": "damaged_item",
    "payment_failed": "double_charged",
    "double_charged": "refund_status",
    "reset_password": "account_locked",
    "account_locked": "reset_password",
    "update_email": "change_address",
    "change_address": "update_email",
    "order_status": "shipping_cost",
}

OFF_TOPIC_MESSAGES = [
    "What's the weather like in {city} today?",
    "lol",
    "asdfghjkl",
    "Can you recommend a good pizza place?",
    "Who won the football match last night?",
    "Buy cheap followers now!!! visit my profile",
    "Tell me a joke",
    "Is it true that octopuses have three hearts?",
    "test test 123",
    "Quelle heure est-il ?",
    "My cat knocked the plant off the windowsill again",
    "How many calories are in a banana?",
    "URGENT: you have won a prize, reply with your bank details",
    "I love turtles",
    "Can you help me with my maths homework?",
]

OPENERS = ["", "", "", "Hi, ", "Hello, ", "Hey there. ", "Good morning, ", "Hi team, "]
CLOSERS = [
    "",
    "",
    "",
    " Thanks.",
    " Thank you!",
    " Please help.",
    " Cheers",
    " ASAP please",
]
# A sentence of context before the request, as people write: it makes two
# messages built on the same request read as different messages.
CONTEXTS = [
    "",
    "",
    "",
    "",
    "I've been a customer for years. ",
    "This is my second message about this. ",
    "Sorry if this is the wrong place to ask. ",
    "I tried the help page first. ",
    "Your chat bot couldn't answer this. ",
    "Ordered last Tuesday on the website. ",
    "Quick question. ",
    "I'm writing from my partner's account. ",
    "Really frustrated right now. ",
    "Bought this as a birthday present. ",
    "Not sure who else to ask. ",
    "I called yesterday but nobody picked up. ",
    "First time ordering from you. ",
    "Using the app on my phone. ",
]
CHANNELS = ["email", "chat", "chat", "app", "phone transcript"]


def fill(template: str, rng: random.Random) -> str:
    """Fill a template's slots with random values."""
    values = {name: rng.choice(options) for name, options in SLOTS.items()}
    values["item2"] = rng.choice([i for i in SLOTS["item"] if i != values["item"]])
    return template.format(**values)


def dress(text: str, rng: random.Random) -> str:
    """Add the noise of real messages: greetings, sign-offs, case and typos."""
    opener = rng.choice(OPENERS)
    context = rng.choice(CONTEXTS)
    # After "Hi, " a sentence goes on in lower case; after "Hey there. " it starts anew.
    if opener.endswith(", "):
        if context and not context.startswith("I"):
            context = context[0].lower() + context[1:]
        elif not context and not text.startswith(("I ", "I'")):
            text = text[0].lower() + text[1:]
    text = opener + context + text + rng.choice(CLOSERS)
    if rng.random() < 0.15:
        text = text.lower()
    if rng.random() < 0.08 and len(text) > 12:
        i = rng.randrange(1, len(text) - 2)
        text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text


def near_copy(text: str, rng: random.Random) -> str:
    """A copy a person would call the same message: case, punctuation, spacing."""
    change = rng.choice(["lower", "punct", "space", "please"])
    if change == "lower":
        return text.lower()
    if change == "punct":
        return text.rstrip(".!?") + rng.choice(["!", "?", "...", ""])
    if change == "space":
        return text.replace(" ", "  ", 1)
    return text + " please"


def make_rows(rng: random.Random) -> list[tuple[str, str | None]]:
    """Return (message, true intent) pairs; off-topic rows have no intent."""
    intents = sorted(INTENTS)
    main = ROWS - NEAR_DUPLICATES - OFF_TOPIC
    rows: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    while len(rows) < main:
        intent = rng.choice(intents)
        text = dress(fill(rng.choice(INTENTS[intent]), rng), rng)
        # Exact repeats are left to the planted near duplicates below.
        if text.lower() not in seen:
            seen.add(text.lower())
            rows.append((text, intent))
    for _ in range(NEAR_DUPLICATES):
        text, intent = rng.choice(rows[:main])
        rows.append((near_copy(text, rng), intent))
    for _ in range(OFF_TOPIC):
        rows.append((fill(rng.choice(OFF_TOPIC_MESSAGES), rng), None))
    rng.shuffle(rows)
    return rows


def given_label(intent: str | None, rng: random.Random) -> str:
    """The label an agent wrote: mostly empty, sometimes wrong."""
    if intent is None or rng.random() >= LABELED_SHARE:
        return ""
    if rng.random() < WRONG_LABEL_SHARE:
        return CONFUSABLE.get(intent) or rng.choice([i for i in INTENTS if i != intent])
    return intent


def main() -> None:
    """Write the sample file."""
    rng = random.Random(SEED)
    start = datetime(2026, 3, 2, 8, 0)
    with OUTPUT.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ticket_id", "received", "channel", "message", "intent"])
        for number, (text, intent) in enumerate(make_rows(rng)):
            received = start + timedelta(minutes=17 * number + rng.randrange(17))
            writer.writerow(
                [
                    f"T{100000 + number}",
                    received.strftime("%Y-%m-%d %H:%M"),
                    rng.choice(CHANNELS),
                    text,
                    given_label(intent, rng),
                ]
            )
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()

"""Labels of the emails (subjects, greetings, calls to action, receipts, failures, refunds).

Placeholders are filled with str.format by the notifications service; every amount and date
in them is already formatted for the customer's locale. The invoice part of an email uses the
document labels (document.py), so its words are the PDF's.
"""

_NB = "\u00a0"  # French puts a no-break space before : ; ? !

LABELS: dict[str, dict[str, str]] = {
    "en": {
        # layout ("Label: value" in the plain-text part; French spaces its colon)
        "email_colon": ":", "email_greeting": "Hi {name},", "email_sent_by": "Sent by {company} via Duely.",
        "email_review_invoice": "Review invoice", "email_pay_now": "Pay now",
        "email_pdf_attached": "The invoice is attached as a PDF.",
        "email_receipt_pdf_attached": "The paid invoice is attached as a PDF: it is your receipt.",
        "email_pdf_too_large": "The PDF is too large to attach: download it from the invoice page.",
        "email_days_one": "1 day", "email_days_other": "{n} days",
        # how to pay, one paragraph per accepted way
        "email_pay_online_with": "Pay online ({methods}):",
        "email_pay_by_transfer": "By bank transfer, quoting the reference {reference}:",
        "email_pay_by_check": "By check, payable to {payee}, sent to:",
        "email_or": "or",
        # invoice issued
        "email_invoice_subject": "Your invoice {number} from {company} is ready",
        "email_invoice_intro": "Your invoice {number} from {company} is ready.",
        "email_invoice_paid_intro": "Your invoice {number} from {company} is paid in full. Thank you!",
        # reminders
        "email_reminder_subject_due": "Reminder: invoice {number} from {company} is due {due}",
        "email_reminder_subject_now": "Reminder: invoice {number} from {company} is due now",
        "email_reminder_subject_overdue": "Reminder: invoice {number} from {company} is past due",
        "email_reminder_subject_final": "Final notice: invoice {number} from {company} is {days} overdue",
        "email_reminder_gentle_due": "A friendly reminder that invoice {number} is due on {due}.",
        "email_reminder_gentle_now": "A friendly reminder that invoice {number} is due.",
        "email_reminder_gentle_overdue": "A friendly reminder that invoice {number} was due on {due}.",
        "email_reminder_firm_due": "Invoice {number} is due soon and remains unpaid. Please arrange payment promptly.",
        "email_reminder_firm_overdue": "Invoice {number} is {days} overdue and remains unpaid. "
                                       "Please arrange payment promptly.",
        "email_reminder_final": "This is a final notice: invoice {number} is {days} overdue and still unpaid. "
                                "Please pay it now to avoid further collection action.",
        "email_reminder_subject_final_due": "Final notice: invoice {number} from {company} is still unpaid",
        "email_reminder_final_due": "This is a final notice: our attempts to collect invoice {number} have failed and "
                                    "it is still unpaid. Please pay it by {due} to avoid further collection action.",
        "email_already_paid": "If you have already paid, please disregard this message.",
        # payment failed
        "email_failed_subject": "Payment failed for invoice {number} from {company}",
        "email_failed_intro": "We could not collect payment for invoice {number}.",
        "email_failed_next": "Please pay with another method or update your payment details.",
        "email_reason": "Reason", "email_payment_method": "Payment method",
        "failure_card_declined": "Your card was declined.",
        "failure_insufficient_funds": "Your card has insufficient funds.",
        "failure_expired_card": "Your card has expired.",
        "failure_incorrect_cvc": "The card's security code is incorrect.",
        "failure_incorrect_number": "The card number is incorrect.",
        "failure_processing_error": "The payment could not be processed. Please try again.",
        "failure_authentication_required": "Your bank asks you to confirm this payment.",
        "failure_generic": "Your payment did not go through.",
        # payment methods as the customer knows them
        "email_card_of": "{brand} card", "email_card_ending": "{brand} ending in {last4}",
        "email_saved_method": "Saved payment method",
        # receipt
        "email_receipt_subject": "Receipt for invoice {number} from {company}",
        "email_receipt_intro": "Thank you for your payment. This is your receipt.",
        "email_paid_on": "Paid on", "email_amount_paid": "Amount paid",
        # refund
        "email_refund_subject": "Refund for invoice {number} from {company}",
        "email_refund_intro": "We have refunded {amount} to the payment method you used.",
        "refund_invoice_already_paid": "Invoice {number} was already paid, so this payment was not needed.",
        "refund_invoice_void": "Invoice {number} was cancelled, so nothing is owed for it.",
        "refund_invoice_uncollectible": "Invoice {number} was closed, so this payment could not be applied.",
        "refund_generic": "This payment could not be applied to invoice {number}.",
        "email_refund_timing": "Depending on your bank, the refund can take 5 to 10 business days to appear.",
        # payment method expiring
        "email_expiring_subject": "Your {brand} card ending in {last4} expires soon",
        "email_expiring_body": "The {brand} card ending in {last4} that {company} uses for your automatic "
                               "payments expires at the end of {expires}.",
        "email_expiring_action": "To keep your payments running, please add a new payment method before then.",
        # portal sign-in link (issue #11)
        "email_portal_link_subject": "Your sign-in link to the {company} billing portal",
        "email_portal_link_by_merchant": "{company} sent you a link to your billing portal, where you can see your "
                                         "invoices, download them as PDFs, pay and manage your payment methods.",
        "email_portal_link_by_customer": "You asked for a new link to the {company} billing portal, where you can "
                                         "see your invoices, download them as PDFs, pay and manage your payment "
                                         "methods.",
        "email_portal_link_button": "Open the billing portal",
        "email_portal_link_expires": "The link works once and expires on {expires} (UTC).",
        "email_portal_link_fallback": "If the button does not work, copy this address into your browser: {url}",
        "email_portal_link_ignore": "If you did not expect this email, you can ignore it: nobody can sign in "
                                    "without the link.",
    },
    "de": {
        "email_colon": ":", "email_greeting": "Guten Tag {name},", "email_sent_by": "Gesendet von {company} über Duely.",
        "email_review_invoice": "Rechnung ansehen", "email_pay_now": "Jetzt bezahlen",
        "email_pdf_attached": "Die Rechnung liegt als PDF bei.",
        "email_receipt_pdf_attached": "Die bezahlte Rechnung liegt als PDF bei: Sie ist Ihr Beleg.",
        "email_pdf_too_large": "Das PDF ist zu groß für einen Anhang: Sie können es auf der Rechnungsseite "
                               "herunterladen.",
        "email_days_one": "1 Tag", "email_days_other": "{n} Tage",
        "email_pay_online_with": "Online bezahlen ({methods}):",
        "email_pay_by_transfer": "Per Überweisung mit dem Verwendungszweck {reference}:",
        "email_pay_by_check": "Per Scheck, ausgestellt auf {payee}, an:",
        "email_or": "oder",
        "email_invoice_subject": "Ihre Rechnung {number} von {company}",
        "email_invoice_intro": "Ihre Rechnung {number} von {company} ist da.",
        "email_invoice_paid_intro": "Ihre Rechnung {number} von {company} ist vollständig bezahlt. Vielen Dank!",
        "email_reminder_subject_due": "Erinnerung: Rechnung {number} von {company} ist am {due} fällig",
        "email_reminder_subject_now": "Erinnerung: Rechnung {number} von {company} ist fällig",
        "email_reminder_subject_overdue": "Erinnerung: Rechnung {number} von {company} ist überfällig",
        "email_reminder_subject_final": "Letzte Mahnung: Rechnung {number} von {company} ist seit {days} überfällig",
        "email_reminder_gentle_due": "Eine freundliche Erinnerung: Rechnung {number} ist am {due} fällig.",
        "email_reminder_gentle_now": "Eine freundliche Erinnerung: Rechnung {number} ist fällig.",
        "email_reminder_gentle_overdue": "Eine freundliche Erinnerung: Rechnung {number} war am {due} fällig.",
        "email_reminder_firm_due": "Rechnung {number} ist bald fällig und noch nicht bezahlt. "
                                   "Bitte veranlassen Sie die Zahlung zeitnah.",
        "email_reminder_firm_overdue": "Rechnung {number} ist seit {days} überfällig und noch nicht bezahlt. "
                                       "Bitte veranlassen Sie die Zahlung zeitnah.",
        "email_reminder_final": "Letzte Mahnung: Rechnung {number} ist seit {days} überfällig und noch nicht "
                                "bezahlt. Bitte zahlen Sie jetzt, um weitere Inkassomaßnahmen zu vermeiden.",
        "email_reminder_subject_final_due": "Letzte Mahnung: Rechnung {number} von {company} ist noch nicht bezahlt",
        "email_reminder_final_due": "Letzte Mahnung: Unsere Versuche, Rechnung {number} einzuziehen, sind "
                                    "fehlgeschlagen, und sie ist noch nicht bezahlt. Bitte zahlen Sie bis zum {due}, "
                                    "um weitere Inkassomaßnahmen zu vermeiden.",
        "email_already_paid": "Falls Sie bereits bezahlt haben, betrachten Sie diese Nachricht bitte als "
                              "gegenstandslos.",
        "email_failed_subject": "Zahlung für Rechnung {number} von {company} fehlgeschlagen",
        "email_failed_intro": "Wir konnten die Zahlung für Rechnung {number} nicht einziehen.",
        "email_failed_next": "Bitte zahlen Sie mit einer anderen Zahlungsart oder aktualisieren Sie Ihre "
                             "Zahlungsdaten.",
        "email_reason": "Grund", "email_payment_method": "Zahlungsart",
        "failure_card_declined": "Ihre Karte wurde abgelehnt.",
        "failure_insufficient_funds": "Ihre Karte ist nicht ausreichend gedeckt.",
        "failure_expired_card": "Ihre Karte ist abgelaufen.",
        "failure_incorrect_cvc": "Die Prüfnummer der Karte ist falsch.",
        "failure_incorrect_number": "Die Kartennummer ist falsch.",
        "failure_processing_error": "Die Zahlung konnte nicht verarbeitet werden. Bitte versuchen Sie es erneut.",
        "failure_authentication_required": "Ihre Bank bittet Sie, diese Zahlung zu bestätigen.",
        "failure_generic": "Ihre Zahlung ist nicht durchgegangen.",
        "email_card_of": "Karte {brand}", "email_card_ending": "{brand} mit den Endziffern {last4}",
        "email_saved_method": "Hinterlegte Zahlungsart",
        "email_receipt_subject": "Zahlungsbestätigung für Rechnung {number} von {company}",
        "email_receipt_intro": "Vielen Dank für Ihre Zahlung. Dies ist Ihre Zahlungsbestätigung.",
        "email_paid_on": "Bezahlt am", "email_amount_paid": "Bezahlter Betrag",
        "email_refund_subject": "Erstattung zu Rechnung {number} von {company}",
        "email_refund_intro": "Wir haben {amount} auf die von Ihnen verwendete Zahlungsart erstattet.",
        "refund_invoice_already_paid": "Rechnung {number} war bereits bezahlt, diese Zahlung war daher nicht nötig.",
        "refund_invoice_void": "Rechnung {number} wurde storniert, dafür ist nichts zu zahlen.",
        "refund_invoice_uncollectible": "Rechnung {number} wurde geschlossen, die Zahlung konnte nicht "
                                        "verbucht werden.",
        "refund_generic": "Diese Zahlung konnte nicht auf Rechnung {number} verbucht werden.",
        "email_refund_timing": "Je nach Bank kann es 5 bis 10 Werktage dauern, bis die Erstattung erscheint.",
        "email_expiring_subject": "Ihre Karte {brand} mit den Endziffern {last4} läuft bald ab",
        "email_expiring_body": "Die Karte {brand} mit den Endziffern {last4}, die {company} für Ihre automatischen "
                               "Zahlungen verwendet, läuft Ende {expires} ab.",
        "email_expiring_action": "Damit Ihre Zahlungen weiterlaufen, hinterlegen Sie bitte vorher eine neue "
                                 "Zahlungsart.",
        "email_portal_link_subject": "Ihr Anmeldelink zum Kundenportal von {company}",
        "email_portal_link_by_merchant": "{company} hat Ihnen einen Link zu Ihrem Kundenportal geschickt. Dort sehen "
                                         "Sie Ihre Rechnungen, laden sie als PDF herunter, bezahlen sie und verwalten "
                                         "Ihre Zahlungsarten.",
        "email_portal_link_by_customer": "Sie haben einen neuen Link zum Kundenportal von {company} angefordert. Dort "
                                         "sehen Sie Ihre Rechnungen, laden sie als PDF herunter, bezahlen sie und "
                                         "verwalten Ihre Zahlungsarten.",
        "email_portal_link_button": "Kundenportal öffnen",
        "email_portal_link_expires": "Der Link funktioniert einmal und läuft am {expires} (UTC) ab.",
        "email_portal_link_fallback": "Falls die Schaltfläche nicht funktioniert, kopieren Sie diese Adresse in Ihren "
                                      "Browser: {url}",
        "email_portal_link_ignore": "Falls Sie diese E-Mail nicht erwartet haben, können Sie sie ignorieren: Ohne den "
                                    "Link kann sich niemand anmelden.",
    },
    "fr": {
        "email_colon": f"{_NB}:", "email_greeting": "Bonjour {name},", "email_sent_by": "Envoyé par {company} via Duely.",
        "email_review_invoice": "Voir la facture", "email_pay_now": "Payer maintenant",
        "email_pdf_attached": "La facture est jointe au format PDF.",
        "email_receipt_pdf_attached": f"La facture acquittée est jointe au format PDF{_NB}: c’est votre reçu.",
        "email_pdf_too_large": f"Le PDF est trop volumineux pour être joint{_NB}: téléchargez-le depuis la page "
                               "de la facture.",
        "email_days_one": "1 jour", "email_days_other": "{n} jours",
        "email_pay_online_with": f"Payer en ligne ({{methods}}){_NB}:",
        "email_pay_by_transfer": f"Par virement, en indiquant la référence {{reference}}{_NB}:",
        "email_pay_by_check": f"Par chèque à l’ordre de {{payee}}, envoyé à{_NB}:",
        "email_or": "ou",
        "email_invoice_subject": "Votre facture {number} de {company}",
        "email_invoice_intro": "Votre facture {number} de {company} est disponible.",
        "email_invoice_paid_intro": f"Votre facture {{number}} de {{company}} est entièrement payée. Merci{_NB}!",
        "email_reminder_subject_due": f"Rappel{_NB}: la facture {{number}} de {{company}} est due le {{due}}",
        "email_reminder_subject_now": f"Rappel{_NB}: la facture {{number}} de {{company}} est due",
        "email_reminder_subject_overdue": f"Rappel{_NB}: la facture {{number}} de {{company}} est en retard",
        "email_reminder_subject_final": f"Dernier rappel{_NB}: la facture {{number}} de {{company}} a {{days}} "
                                        "de retard",
        "email_reminder_gentle_due": "Nous vous rappelons que la facture {number} est due le {due}.",
        "email_reminder_gentle_now": "Nous vous rappelons que la facture {number} est due.",
        "email_reminder_gentle_overdue": "Nous vous rappelons que la facture {number} était due le {due}.",
        "email_reminder_firm_due": "La facture {number} arrive à échéance et reste impayée. "
                                   "Merci d’en organiser le règlement rapidement.",
        "email_reminder_firm_overdue": "La facture {number} a {days} de retard et reste impayée. "
                                       "Merci d’en organiser le règlement rapidement.",
        "email_reminder_final": f"Dernier rappel{_NB}: la facture {{number}} a {{days}} de retard et reste impayée. "
                                "Merci de la régler dès maintenant pour éviter d’autres mesures de recouvrement.",
        "email_reminder_subject_final_due": f"Dernier rappel{_NB}: la facture {{number}} de {{company}} reste "
                                            "impayée",
        "email_reminder_final_due": f"Dernier rappel{_NB}: nos tentatives d’encaisser la facture {{number}} ont "
                                    "échoué et elle reste impayée. Merci de la régler avant le {due} pour éviter "
                                    "d’autres mesures de recouvrement.",
        "email_already_paid": "Si vous avez déjà payé, merci de ne pas tenir compte de ce message.",
        "email_failed_subject": "Échec du paiement de la facture {number} de {company}",
        "email_failed_intro": "Nous n’avons pas pu encaisser le paiement de la facture {number}.",
        "email_failed_next": "Merci de payer avec un autre moyen de paiement ou de mettre à jour vos coordonnées "
                             "de paiement.",
        "email_reason": "Motif", "email_payment_method": "Moyen de paiement",
        "failure_card_declined": "Votre carte a été refusée.",
        "failure_insufficient_funds": "Le solde de votre carte est insuffisant.",
        "failure_expired_card": "Votre carte a expiré.",
        "failure_incorrect_cvc": "Le cryptogramme de la carte est incorrect.",
        "failure_incorrect_number": "Le numéro de carte est incorrect.",
        "failure_processing_error": "Le paiement n’a pas pu être traité. Merci de réessayer.",
        "failure_authentication_required": "Votre banque vous demande de confirmer ce paiement.",
        "failure_generic": "Votre paiement n’a pas abouti.",
        "email_card_of": "Carte {brand}", "email_card_ending": "{brand} se terminant par {last4}",
        "email_saved_method": "Moyen de paiement enregistré",
        "email_receipt_subject": "Reçu pour la facture {number} de {company}",
        "email_receipt_intro": "Merci pour votre paiement. Voici votre reçu.",
        "email_paid_on": "Payée le", "email_amount_paid": "Montant payé",
        "email_refund_subject": "Remboursement pour la facture {number} de {company}",
        "email_refund_intro": "Nous avons remboursé {amount} sur le moyen de paiement que vous avez utilisé.",
        "refund_invoice_already_paid": f"La facture {{number}} était déjà payée{_NB}: ce paiement n’était pas "
                                       "nécessaire.",
        "refund_invoice_void": f"La facture {{number}} a été annulée{_NB}: rien n’est dû à ce titre.",
        "refund_invoice_uncollectible": f"La facture {{number}} a été clôturée{_NB}: ce paiement n’a pas pu lui "
                                        "être imputé.",
        "refund_generic": "Ce paiement n’a pas pu être imputé à la facture {number}.",
        "email_refund_timing": "Selon votre banque, le remboursement peut mettre 5 à 10 jours ouvrés à apparaître.",
        "email_expiring_subject": "Votre carte {brand} se terminant par {last4} expire bientôt",
        "email_expiring_body": "La carte {brand} se terminant par {last4}, que {company} utilise pour vos paiements "
                               "automatiques, expire fin {expires}.",
        "email_expiring_action": "Pour que vos paiements continuent, merci d’ajouter un nouveau moyen de paiement "
                                 "d’ici là.",
        "email_portal_link_subject": "Votre lien de connexion à l’espace client de {company}",
        "email_portal_link_by_merchant": "{company} vous a envoyé un lien vers votre espace client, où vous pouvez "
                                         "consulter vos factures, les télécharger en PDF, les payer et gérer vos "
                                         "moyens de paiement.",
        "email_portal_link_by_customer": "Vous avez demandé un nouveau lien vers l’espace client de {company}, où vous "
                                         "pouvez consulter vos factures, les télécharger en PDF, les payer et gérer "
                                         "vos moyens de paiement.",
        "email_portal_link_button": "Ouvrir l’espace client",
        "email_portal_link_expires": "Ce lien ne fonctionne qu’une fois et expire le {expires} (UTC).",
        "email_portal_link_fallback": f"Si le bouton ne fonctionne pas, copiez cette adresse dans votre "
                                      f"navigateur{_NB}: {{url}}",
        "email_portal_link_ignore": f"Si vous n’attendiez pas cet e-mail, vous pouvez l’ignorer{_NB}: personne ne "
                                    "peut se connecter sans le lien.",
    },
}

from duely_payments.main import main

main()
